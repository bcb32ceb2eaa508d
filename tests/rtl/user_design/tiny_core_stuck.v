// tiny_core with a fault on purpose: its output is never valid, so tiny_tb waits forever (the
// runner's time limit stops it).
module tiny_core (
    input             clk,
    input             rst,
    input             in_valid,
    input      [31:0] in_data,
    output reg        out_valid,
    output reg [31:0] out_data
);
    always @(posedge clk) begin
        out_valid <= 1'b0;  // the fault: should be !rst && in_valid
        out_data  <= in_data;
    end
endmodule
