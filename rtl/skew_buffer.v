// Diagonal skew for a systolic array edge: lane i of the output is lane i of the input delayed by
// i cycles, with its own valid, so that the word injected for lane i reaches PE (i, j) together
// with the word of the crossing lane j. Each lane is a delay_line (a shift register; only the valid
// bits are reset).
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
            end else begin : g_delay
                delay_line #(
                    .DELAY(lane),
                    .WIDTH(WIDTH)
                ) u_delay (
                    .clk      (clk),
                    .rst      (rst),
                    .in_valid (in_valid),
                    .in_data  (in_data[lane*WIDTH +: WIDTH]),
                    .out_valid(out_valid[lane]),
                    .out_data (out_data[lane*WIDTH +: WIDTH]),
                    .busy     (lane_busy[lane])
                );
            end
        end
    endgenerate

    assign busy = |lane_busy;
endmodule
