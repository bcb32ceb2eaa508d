// Simple dual-port RAM of DEPTH words (at most 2^ADDR_BITS; a read past the last is unknown, X): one synchronous write port and one synchronous read
// port with one cycle of latency (read-before-write on the same address), the shape of an SRAM
// macro, and marked for block RAM. Contents are not reset; the test benches load them through `mem`
// (backdoor) or through the core's host port.
module sdp_ram #(
    parameter WIDTH     = 32,
    parameter ADDR_BITS = 8,
    parameter DEPTH     = 1 << ADDR_BITS
) (
    input                      clk,
    input                      wr_en,
    input      [ADDR_BITS-1:0] wr_addr,
    input      [WIDTH-1:0]     wr_data,
    input                      rd_en,
    input      [ADDR_BITS-1:0] rd_addr,
    output reg [WIDTH-1:0]     rd_data
);
    // Block RAM on an FPGA at any depth (Yosys's cost model would take LUT RAM for a shallow one).
    (* ram_style = "block" *) reg [WIDTH-1:0] mem [0:DEPTH-1];

    always @(posedge clk) begin
        if (wr_en) begin
            mem[wr_addr] <= wr_data;
        end
        if (rd_en) begin
            rd_data <= mem[rd_addr];
        end
    end
endmodule
