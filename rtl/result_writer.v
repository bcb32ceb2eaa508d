// Moves rows of results from the output FIFO into the psum memory, one row per cycle, at
// consecutive addresses from start_addr upward (WS: time steps in order) or downward (OS: a
// drained column emits rows ROWS-1 .. 0, which land at base+ROWS-1 .. base so that address
// base+p holds pixel lane p).
module result_writer #(
    parameter ADDR_BITS = 10
) (
    input                  clk,
    input                  rst,
    input                  start,
    input  [ADDR_BITS-1:0] start_addr,
    input                  descending,
    input                  row_valid,
    output                 pop,
    output                 psum_wr_en,
    output [ADDR_BITS-1:0] psum_wr_addr
);
    reg [ADDR_BITS-1:0] addr_q;
    reg                 descending_q;

    assign pop          = row_valid;
    assign psum_wr_en   = row_valid;
    assign psum_wr_addr = addr_q;

    always @(posedge clk) begin
        if (rst) begin
            addr_q       <= {ADDR_BITS{1'b0}};
            descending_q <= 1'b0;
        end else if (start) begin
            addr_q       <= start_addr;
            descending_q <= descending;
        end else if (row_valid) begin
            addr_q <= descending_q ? addr_q - 1'b1 : addr_q + 1'b1;
        end
    end
endmodule
