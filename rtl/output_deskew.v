// Output de-skew: column c of the array delivers a row's word c cycles after column 0 (the array's
// skew), so lane c is delayed COLS - c cycles (a delay_line) and a row leaves whole, the cycle after
// its last column's word: a triangle of shift registers, COLS (COLS + 1) / 2 words. The array
// cannot be stalled and every column sees column 0's pattern shifted by its skew, so the lanes'
// valid bits agree at the output. A row whose lanes disagree would leave with a word missing: it is
// dropped and the sticky `misaligned` flag says so (a lost result must be visible, not silent).
module output_deskew #(
    parameter COLS  = 8,
    parameter WIDTH = 32
) (
    input                   clk,
    input                   rst,
    input  [COLS-1:0]       in_valid,
    input  [COLS*WIDTH-1:0] in_data,
    output                  out_valid,
    output [COLS*WIDTH-1:0] out_data,
    output reg              misaligned,
    output                  busy
);
`ifdef MUTANT_DESKEW_DROP
    // Mutation: column 1 (COLS >= 2, as in the core) loses its fifth word after reset; its row then
    // leaves with a word missing, which the check below flags.
    reg [2:0] column_words;
    always @(posedge clk) begin
        if (rst) column_words <= 3'd0;
        else if (in_valid[1] && column_words != 3'd7) column_words <= column_words + 1'b1;
    end
    wire [COLS-1:0] entering = in_valid & ~({{(COLS-1){1'b0}}, in_valid[1] && column_words == 3'd4} << 1);
`else
    wire [COLS-1:0] entering = in_valid;
`endif

    wire [COLS-1:0] lane_valid;
    wire [COLS-1:0] lane_busy;

    genvar c;
    generate
        for (c = 0; c < COLS; c = c + 1) begin : g_lane
            delay_line #(
                .DELAY(COLS - c),
                .WIDTH(WIDTH)
            ) u_delay (
                .clk      (clk),
                .rst      (rst),
                .in_valid (entering[c]),
                .in_data  (in_data[c*WIDTH +: WIDTH]),
                .out_valid(lane_valid[c]),
                .out_data (out_data[c*WIDTH +: WIDTH]),
                .busy     (lane_busy[c])
            );
        end
    endgenerate

    assign out_valid = &lane_valid;
    assign busy      = |lane_busy;

    always @(posedge clk) begin
        if (rst) begin
            misaligned <= 1'b0;
        end else if (|lane_valid && !out_valid) begin
            misaligned <= 1'b1;
        end
    end
endmodule
