// A user's own core for the tests of qaccel.rtl.user_bench: one register stage.
module tiny_core (
    input             clk,
    input             rst,
    input             in_valid,
    input      [31:0] in_data,
    output reg        out_valid,
    output reg [31:0] out_data
);
    always @(posedge clk) begin
        out_valid <= !rst && in_valid;
        out_data  <= in_data;
    end
endmodule
