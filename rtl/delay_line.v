// A word with its valid bit, DELAY cycles later (DELAY >= 1): a shift register, one stage per cycle.
// Only the valid bits are reset (a word is used only with its valid bit); busy while a valid word is
// inside. The lanes of skew_buffer and output_deskew.
module delay_line #(
    parameter DELAY = 1,
    parameter WIDTH = 8
) (
    input              clk,
    input              rst,
    input              in_valid,
    input  [WIDTH-1:0] in_data,
    output             out_valid,
    output [WIDTH-1:0] out_data,
    output             busy
);
    generate
        if (DELAY == 1) begin : g_one
            reg             valid_q;
            reg [WIDTH-1:0] data_q;
            always @(posedge clk) begin
                valid_q <= in_valid && !rst;
                data_q  <= in_data;
            end
            assign out_valid = valid_q;
            assign out_data  = data_q;
            assign busy      = valid_q;
        end else begin : g_stages
            // Stage 0 holds the word that entered a cycle ago, stage DELAY-1 the oldest.
            reg [DELAY-1:0]       valid_q;
            reg [DELAY*WIDTH-1:0] data_q;
            always @(posedge clk) begin
                valid_q <= rst ? {DELAY{1'b0}} : {valid_q[DELAY-2:0], in_valid};
                data_q  <= {data_q[(DELAY-1)*WIDTH-1:0], in_data};
            end
            assign out_valid = valid_q[DELAY-1];
            assign out_data  = data_q[(DELAY-1)*WIDTH +: WIDTH];
            assign busy      = |valid_q;
        end
    endgenerate
endmodule
