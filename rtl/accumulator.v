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
// The memory is two banks, its halves by the top address bit, each an sdp_ram: one write port and
// one synchronous read port, the shape of an SRAM macro (a block RAM on an FPGA). In each bank the
// pipeline and the host share the read port: a row that arrives to be added to a word of the bank
// takes it (a sum's first row and a direct row replace the word: they read nothing, which saves the
// access's energy), and the host (or the read-out) reads a bank no row adds to on that cycle: the
// other bank while a layer's tiles alternate between them (ring, acc_sequencer.v), any bank while
// the core is not busy. The host
// gets the word at host_rd_addr one cycle after host_rd_en, from the bank's read register, with
// ReLU applied lane by lane after that register when host_rd_relu was set with the request; the
// memory itself keeps the raw sums.
module accumulator #(
    parameter COLS      = 8,
    parameter PSUM_BITS = 16,
    parameter ADDR_BITS = 10
) (
    input                       clk,
    input                       rst,
    input                       row_valid,
    input  [COLS*PSUM_BITS-1:0] row_data,
    input  [ADDR_BITS-1:0]      row_addr,
    input                       row_first,
    input                       row_write,
    input                       direct,
    input                       host_rd_en,
    input                       host_rd_relu,
    input  [ADDR_BITS-1:0]      host_rd_addr,
    output [COLS*PSUM_BITS-1:0] host_rd_data,
    output                      overflow,
    output                      busy
);
    localparam WORD = COLS * PSUM_BITS;

    // Stage 2: the row whose memory word is in the read register.
    reg                 add_valid;
    reg [WORD-1:0]      add_row;
    reg [ADDR_BITS-1:0] add_addr;
    reg                 add_first;
    // The word written on the previous cycle (forwarded to a read of the same address, which
    // returned the word from before that write).
    reg                 last_valid;
    reg [ADDR_BITS-1:0] last_addr;
    reg [WORD-1:0]      last_sum;
    // The host's request of the word now in the read register: ReLU it.
    reg                 host_relu;
    wire [WORD-1:0]     sum;  // stage 2's result

    // Each bank's one read port: the word a row adds to, or else the host's.
`ifdef MUTANT_ACC_FIRST
    // Mutation (with the sum below): a sum's first row reads the word, to be added to it.
    wire                 reads_word = row_valid && !direct;
`else
    wire                 reads_word = row_valid && !direct && !row_first;
`endif
    wire                 row_bank  = row_addr[ADDR_BITS-1];
    wire                 host_bank = host_rd_addr[ADDR_BITS-1];
    // Its one write port: a direct row as it arrives, or the sum of stage 2 (never both: rows are
    // direct for a whole layer, and the layer before has left stage 2 when the next one starts).
    wire                 write_direct = row_valid && row_write && direct;
    wire                 write_en     = write_direct || add_valid;
    wire [ADDR_BITS-1:0] write_addr   = write_direct ? row_addr : add_addr;
    wire [WORD-1:0]      write_data   = write_direct ? row_data : sum;
    wire [WORD-1:0]      bank_word [0:1];
    reg                  host_bank_q;  // the bank of the host's word in the read registers
    wire [1:0]           bank_reads;   // each bank's read port in use (for the benches' counts)

    genvar bank;
    generate
        for (bank = 0; bank < 2; bank = bank + 1) begin : g_bank
            wire row_reads  = reads_word && row_bank == bank;
            wire host_reads = host_rd_en && host_bank == bank;
            assign bank_reads[bank] = row_reads || host_reads;
            sdp_ram #(.WIDTH(WORD), .ADDR_BITS(ADDR_BITS-1)) u_mem (
                .clk    (clk),
                .wr_en  (write_en && write_addr[ADDR_BITS-1] == bank),
                .wr_addr(write_addr[ADDR_BITS-2:0]),
                .wr_data(write_data),
                .rd_en  (bank_reads[bank]),
                .rd_addr(row_reads ? row_addr[ADDR_BITS-2:0] : host_rd_addr[ADDR_BITS-2:0]),
                .rd_data(bank_word[bank])
            );
        end
    endgenerate
    wire [WORD-1:0] read_word = bank_word[add_addr[ADDR_BITS-1]];
    wire [WORD-1:0] host_word = bank_word[host_bank_q];

    wire [WORD-1:0] stored = (last_valid && last_addr == add_addr) ? last_sum : read_word;
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
            // The host's read-out: with ReLU, a lane whose sign bit is set reads as zero.
            wire [PSUM_BITS-1:0] word_lane = host_word[lane*PSUM_BITS +: PSUM_BITS];
            assign host_rd_data[lane*PSUM_BITS +: PSUM_BITS] = (host_relu && word_lane[PSUM_BITS-1])
                                                             ? {PSUM_BITS{1'b0}} : word_lane;
        end
    endgenerate

    always @(posedge clk) begin
        if (row_valid) begin
            add_row   <= row_data;
            add_addr  <= row_addr;
            add_first <= row_first;
        end
        if (add_valid) begin
            last_addr <= add_addr;
            last_sum  <= sum;
        end
        if (host_rd_en) begin
            host_relu   <= host_rd_relu;
            host_bank_q <= host_bank;
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
