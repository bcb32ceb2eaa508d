// tiny_core with a fault on purpose: every value comes back one too large (tiny_tb fails).
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
        out_data  <= in_data + 32'd1;
    end
endmodule
