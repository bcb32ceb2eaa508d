// Simple dual-port RAM of 2^ADDR_BITS words: one synchronous write port and one synchronous read
// port with one cycle of latency (read-before-write on the same address), the shape of an SRAM
// macro. Contents are not reset; the test benches load them through `mem` (backdoor) or through
// the core's host port.
module sdp_ram #(
    parameter WIDTH     = 32,
    parameter ADDR_BITS = 8
) (
    input                      clk,
    input                      wr_en,
    input      [ADDR_BITS-1:0] wr_addr,
    input      [WIDTH-1:0]     wr_data,
    input                      rd_en,
    input      [ADDR_BITS-1:0] rd_addr,
    output reg [WIDTH-1:0]     rd_data
);
    reg [WIDTH-1:0] mem [0:(1<<ADDR_BITS)-1];

    always @(posedge clk) begin
        if (wr_en) begin
            mem[wr_addr] <= wr_data;
        end
        if (rd_en) begin
            rd_data <= mem[rd_addr];
        end
    end
endmodule
