// Accumulator: the memory that holds one word (COLS lanes of PSUM_BITS) per output pixel and
// output-channel tile, and the read-modify-write pipeline that adds every row of partial sums
// leaving the array into it as the row arrives (in the manner of Gemmini's accumulator SRAM).
//
//   cycle 1  the row arrives with its address; the memory word is read
//   cycle 2  sum = first ? row : word + row, lane by lane; written back
// A row for the address written on the cycle before takes that write's sum (forwarding), so rows
// may follow each other with no gap. A signed overflow of any lane's add pulses `overflow`.
// With `direct` (OS: every row is a whole sum) a row is written on the cycle it arrives.
//
// Read-out (host port, never while rows arrive: it shares the read port): the word at
// host_rd_addr one cycle after host_rd_en, with ReLU applied lane by lane when host_rd_relu is
// set; the memory itself keeps the raw sums.
module accumulator #(
    parameter COLS      = 8,
    parameter PSUM_BITS = 16,
    parameter ADDR_BITS = 10
) (
    input                           clk,
    input                           rst,
    input                           row_valid,
    input      [COLS*PSUM_BITS-1:0] row_data,
    input      [ADDR_BITS-1:0]      row_addr,
    input                           row_first,
    input                           row_write,
    input                           direct,
    input                           host_rd_en,
    input                           host_rd_relu,
    input      [ADDR_BITS-1:0]      host_rd_addr,
    output reg [COLS*PSUM_BITS-1:0] host_rd_data,
    output                          overflow,
    output                          busy
);
    localparam WORD = COLS * PSUM_BITS;

    // Contents are not reset, like an SRAM's; the test benches load and read them through `mem`.
    reg [WORD-1:0] mem [0:(1<<ADDR_BITS)-1];

    // Stage 2: the row whose memory word has been read.
    reg                 add_valid;
    reg [WORD-1:0]      add_row;
    reg [ADDR_BITS-1:0] add_addr;
    reg                 add_first;
    reg [WORD-1:0]      add_stored;
    // The word written on the previous cycle (forwarded to a read of the same address).
    reg                 last_valid;
    reg [ADDR_BITS-1:0] last_addr;
    reg [WORD-1:0]      last_sum;

    wire [WORD-1:0] stored = (last_valid && last_addr == add_addr) ? last_sum : add_stored;
    wire [WORD-1:0] sum;
    wire [COLS-1:0] lane_overflow;
    genvar lane;
    generate
        for (lane = 0; lane < COLS; lane = lane + 1) begin : g_lane
            wire [PSUM_BITS-1:0] a = stored[lane*PSUM_BITS +: PSUM_BITS];
            wire [PSUM_BITS-1:0] b = add_row[lane*PSUM_BITS +: PSUM_BITS];
            wire [PSUM_BITS-1:0] s = a + b;
`ifdef MUTANT_ACC_FIRST
            // Mutation: the first row of a sum is added to whatever the word held.
            assign sum[lane*PSUM_BITS +: PSUM_BITS] = s;
`else
            assign sum[lane*PSUM_BITS +: PSUM_BITS] = add_first ? b : s;
`endif
            // A signed add overflows when both operands' signs differ from the sum's.
            wire [PSUM_BITS-1:0] overflow_bits = (a ^ s) & (b ^ s);
            assign lane_overflow[lane] = overflow_bits[PSUM_BITS-1];
        end
    endgenerate

    // The host's read-out with ReLU: lanes whose sign bit is set read as zero.
    function [WORD-1:0] relu;
        input [WORD-1:0] word;
        integer index;
        begin
            relu = word;
            for (index = 0; index < COLS; index = index + 1) begin
                if (word[index*PSUM_BITS + PSUM_BITS - 1]) begin
                    relu[index*PSUM_BITS +: PSUM_BITS] = {PSUM_BITS{1'b0}};
                end
            end
        end
    endfunction

    always @(posedge clk) begin
        if (row_valid) begin
            add_stored <= mem[row_addr];
            add_row    <= row_data;
            add_addr   <= row_addr;
            add_first  <= row_first;
        end else if (host_rd_en) begin
            host_rd_data <= host_rd_relu ? relu(mem[host_rd_addr]) : mem[host_rd_addr];
        end
        if (row_valid && row_write && direct) begin
            mem[row_addr] <= row_data;
        end else if (add_valid) begin
            mem[add_addr] <= sum;
            last_addr     <= add_addr;
            last_sum      <= sum;
        end
        if (rst) begin
            add_valid  <= 1'b0;
            last_valid <= 1'b0;
        end else begin
            add_valid  <= row_valid && row_write && !direct;
            last_valid <= add_valid;
        end
    end

    assign overflow = add_valid && !add_first && |lane_overflow;
    assign busy     = add_valid;
endmodule
