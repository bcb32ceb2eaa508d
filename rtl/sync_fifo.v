// Synchronous first-word-fall-through FIFO of 2^DEPTH_BITS entries: rd_data shows the oldest
// entry whenever empty is low. A write while full is accepted when the same cycle pops; otherwise
// it is dropped and sets the sticky overflow flag (the systolic array cannot be stalled, so a lost
// result must be visible, not silent).
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
    localparam DEPTH = 1 << DEPTH_BITS;

    reg [WIDTH-1:0] entries [0:DEPTH-1];
    // One extra pointer bit tells full (same slot, different lap) from empty.
    reg [DEPTH_BITS:0] wr_ptr;
    reg [DEPTH_BITS:0] rd_ptr;

    wire pop    = rd_en && !empty;
    wire accept = wr_en && (!full || pop);

    assign empty   = wr_ptr == rd_ptr;
    assign full    = (wr_ptr[DEPTH_BITS] != rd_ptr[DEPTH_BITS])
                  && (wr_ptr[DEPTH_BITS-1:0] == rd_ptr[DEPTH_BITS-1:0]);
    assign rd_data = entries[rd_ptr[DEPTH_BITS-1:0]];

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

    always @(posedge clk) begin
        if (rst) begin
            wr_ptr   <= {(DEPTH_BITS+1){1'b0}};
            rd_ptr   <= {(DEPTH_BITS+1){1'b0}};
            overflow <= 1'b0;
        end else begin
            if (wr_en && !accept) begin
                overflow <= 1'b1;
            end
            if (store) begin
                entries[wr_ptr[DEPTH_BITS-1:0]] <= wr_data;
                wr_ptr <= wr_ptr + 1'b1;
            end
            if (pop) begin
                rd_ptr <= rd_ptr + 1'b1;
            end
        end
    end
endmodule
