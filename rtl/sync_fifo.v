// Synchronous first-word-fall-through FIFO of 2^DEPTH_BITS entries: rd_data shows the oldest
// entry whenever empty is low, from the cycle after its write. The entries live in an sdp_ram (one
// synchronous read, block RAM like every memory of the core): it reads, every cycle, the entry that
// is the head in the next cycle; an entry written in the same cycle as it becomes the head cannot come
// from that read (read before write), so a register holds it for that one cycle. A write while full
// is accepted when the same cycle pops; otherwise it is dropped and sets the sticky overflow flag (the
// systolic array cannot be stalled, so a lost result must be visible, not silent).
module sync_fifo #(
    parameter WIDTH      = 16,
    parameter DEPTH_BITS = 4
) (
    input              clk,
    input              rst,
    input              wr_en,
    input  [WIDTH-1:0] wr_data,
    input              rd_en,
    output [WIDTH-1:0] rd_data,
    output             empty,
    output             full,
    output reg         overflow
);

    // One extra pointer bit tells full (same slot, different lap) from empty.
    reg [DEPTH_BITS:0] wr_ptr;
    reg [DEPTH_BITS:0] rd_ptr;

    wire pop    = rd_en && !empty;
    wire accept = wr_en && (!full || pop);
    wire [DEPTH_BITS:0] next_rd_ptr = rd_ptr + {{DEPTH_BITS{1'b0}}, pop};

    assign empty = wr_ptr == rd_ptr;
    assign full  = (wr_ptr[DEPTH_BITS] != rd_ptr[DEPTH_BITS])
                && (wr_ptr[DEPTH_BITS-1:0] == rd_ptr[DEPTH_BITS-1:0]);

`ifdef MUTANT_FIFO_DROP
    // Mutation: the FIFO loses its fifth write after reset, silently.
    reg [2:0] writes;
    always @(posedge clk) begin
        if (rst) writes <= 3'd0;
        else if (accept && writes != 3'd7) writes <= writes + 1'b1;
    end
    wire store = accept && writes != 3'd4;
`else
    wire store = accept;
`endif

    wire [WIDTH-1:0] read_head;
    sdp_ram #(
        .WIDTH    (WIDTH),
        .ADDR_BITS(DEPTH_BITS)
    ) u_entries (
        .clk    (clk),
        .wr_en  (store),
        .wr_addr(wr_ptr[DEPTH_BITS-1:0]),
        .wr_data(wr_data),
        .rd_en  (1'b1),
        .rd_addr(next_rd_ptr[DEPTH_BITS-1:0]),
        .rd_data(read_head)
    );

    // The entry written this cycle into the slot that is the head next cycle.
    reg             written_head;
    reg [WIDTH-1:0] written_data;
    assign rd_data = written_head ? written_data : read_head;

    always @(posedge clk) begin
        written_data <= wr_data;
        if (rst) begin
            wr_ptr       <= {(DEPTH_BITS+1){1'b0}};
            rd_ptr       <= {(DEPTH_BITS+1){1'b0}};
            overflow     <= 1'b0;
            written_head <= 1'b0;
        end else begin
            written_head <= store && wr_ptr[DEPTH_BITS-1:0] == next_rd_ptr[DEPTH_BITS-1:0];
            if (wr_en && !accept) begin
                overflow <= 1'b1;
            end
            if (store) begin
                wr_ptr <= wr_ptr + 1'b1;
            end
            if (pop) begin
                rd_ptr <= next_rd_ptr;
            end
        end
    end
endmodule
