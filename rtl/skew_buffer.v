// Diagonal skew for a systolic array edge: lane i of the output is lane i of the input delayed by
// i cycles, with its own valid, so that the word injected for lane i reaches PE (i, j) together
// with the word of the crossing lane j. Data registers load only with a valid word, so nothing
// unknown enters the array.
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
                assign out_valid[0]        = in_valid;
                assign out_data[0 +: WIDTH] = in_data[0 +: WIDTH];
                assign lane_busy[0]        = 1'b0;
            end else begin : g_delay
                // Stage k holds the word that entered k+1 cycles ago.
                reg [lane-1:0]       valid_q;
                reg [lane*WIDTH-1:0] data_q;
                integer stage;
                always @(posedge clk) begin
                    if (rst) begin
                        valid_q <= {lane{1'b0}};
                        data_q  <= {(lane*WIDTH){1'b0}};
                    end else begin
                        valid_q[0] <= in_valid;
                        if (in_valid) begin
                            data_q[0 +: WIDTH] <= in_data[lane*WIDTH +: WIDTH];
                        end
                        for (stage = 1; stage < lane; stage = stage + 1) begin
                            valid_q[stage] <= valid_q[stage-1];
                            if (valid_q[stage-1]) begin
                                data_q[stage*WIDTH +: WIDTH] <= data_q[(stage-1)*WIDTH +: WIDTH];
                            end
                        end
                    end
                end
                assign out_valid[lane]              = valid_q[lane-1];
                assign out_data[lane*WIDTH +: WIDTH] = data_q[(lane-1)*WIDTH +: WIDTH];
                assign lane_busy[lane]              = |valid_q;
            end
        end
    endgenerate

    assign busy = |lane_busy;
endmodule
