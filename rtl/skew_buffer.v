// Diagonal skew for a systolic array edge: lane i of the output is lane i of the input delayed by
// i cycles, with its own valid, so that the word injected for lane i reaches PE (i, j) together
// with the word of the crossing lane j. Each lane is a shift register; only the valid bits are
// reset (a word is used only with its valid bit).
module skew_buffer #(
    parameter LANES = 8,
    parameter WIDTH = 4
) (
    input                    clk,
    input                    rst,
    input                    in_valid,
    input  [LANES*WIDTH-1:0] in_data,
    output [LANES-1:0]       out_valid,
    output [LANES*WIDTH-1:0] out_data,
    output                   busy
);
    wire [LANES-1:0] lane_busy;

    genvar lane;
    generate
        for (lane = 0; lane < LANES; lane = lane + 1) begin : g_lane
            if (lane == 0) begin : g_direct
                assign out_valid[0]         = in_valid;
                assign out_data[0 +: WIDTH] = in_data[0 +: WIDTH];
                assign lane_busy[0]         = 1'b0;
            end else if (lane == 1) begin : g_one
                reg             valid_q;
                reg [WIDTH-1:0] data_q;
                always @(posedge clk) begin
                    valid_q <= in_valid && !rst;
                    data_q  <= in_data[WIDTH +: WIDTH];
                end
                assign out_valid[1]             = valid_q;
                assign out_data[WIDTH +: WIDTH] = data_q;
                assign lane_busy[1]             = valid_q;
            end else begin : g_delay
                // Stage 0 holds the word that entered a cycle ago, stage lane-1 the oldest.
                reg [lane-1:0]       valid_q;
                reg [lane*WIDTH-1:0] data_q;
                always @(posedge clk) begin
                    valid_q <= rst ? {lane{1'b0}} : {valid_q[lane-2:0], in_valid};
                    data_q  <= {data_q[(lane-1)*WIDTH-1:0], in_data[lane*WIDTH +: WIDTH]};
                end
                assign out_valid[lane]               = valid_q[lane-1];
                assign out_data[lane*WIDTH +: WIDTH] = data_q[(lane-1)*WIDTH +: WIDTH];
                assign lane_busy[lane]               = |valid_q;
            end
        end
    endgenerate

    assign busy = |lane_busy;
endmodule
