// DMA engine: moves each output-channel tile's block (its requantization constants, then its weights)
// from external memory (DRAM) into the core: the weights into the weight buffer's half for the tile
// (two halves, by its top address bit: one being read while the next tile's block arrives), the
// constants into the constant memories' slot for the tile.
//
// A LOAD instruction (`load`, valid one cycle) gives a layer's blocks: `tiles` blocks of
// `const_beats + weight_beats` beats each, back to back from DRAM beat `dram_base`. The engine
// keeps one LOAD running and one waiting (`ready` is low while both are taken), and numbers the
// tiles of all LOADs since reset in order: tile g goes to weight half g % 2 and constant slot
// g % 2^TILE_BITS. It asks for tile g's block only once the weight half is free, g <
// weights_done + 2 (weights_done: the tiles whose weights the sequencer has read), and counts in
// `tiles_loaded` the tiles whose last beat has arrived.
//
// DRAM port: one request at a time (dram_req_valid until dram_req_ready; the request is
// dram_req_beats beats from dram_req_addr), and its beats in order on dram_rsp_valid/dram_rsp_data,
// each at most one per cycle. Beat k of a block is, for k < const_beats, lane k's constants
// ({S, B_c, M_c} from bit 0, rtl/core.v's SEL_CONST data), and otherwise WORDS weight words
// (word w at bits [w*WGT_WORD +: WGT_WORD]), weight beat k - const_beats of the tile.
module dma #(
    parameter DIM_BITS       = 24,
    parameter BEAT_BITS      = 128,
    parameter BEAT_ADDR_BITS = 8,   // the weight buffer's beats: two halves
    parameter TILE_BITS      = 2,
    parameter LANE_BITS      = 3
) (
    input                           clk,
    input                           rst,
    input                           load,
    input      [DIM_BITS-1:0]       dram_base_in,
    input      [DIM_BITS-1:0]       tiles_in,
    input      [DIM_BITS-1:0]       weight_beats_in,
    input      [DIM_BITS-1:0]       const_beats_in,
    output                          ready,
    input      [DIM_BITS-1:0]       weights_done,
    output     [DIM_BITS-1:0]       tiles_loaded,
    output                          busy,
    // DRAM
    output                          dram_req_valid,
    input                           dram_req_ready,
    output     [31:0]               dram_req_addr,
    output     [DIM_BITS-1:0]       dram_req_beats,
    input                           dram_rsp_valid,
    input      [BEAT_BITS-1:0]      dram_rsp_data,
    // the weight buffer's write port
    output                          wgt_wr_en,
    output     [BEAT_ADDR_BITS-1:0] wgt_wr_addr,
    output     [BEAT_BITS-1:0]      wgt_wr_data,
    // the constant memories' write port: one lane per beat
    output                          const_wr_en,
    output     [LANE_BITS-1:0]      const_wr_lane,
    output     [TILE_BITS-1:0]      const_wr_tile,
    output     [BEAT_BITS-1:0]      const_wr_data
);
    localparam [DIM_BITS-1:0] ONE = 1;
    localparam [DIM_BITS-1:0] TWO = 2;

    // The LOAD waiting behind the running one.
    reg                pending;
    reg [DIM_BITS-1:0] pending_base, pending_tiles, pending_weight_beats, pending_const_beats;
    // The running LOAD: its next tile's block address, the tiles left, the block's shape.
    reg                active;
    reg [DIM_BITS-1:0] block_addr, tiles_left, weight_beats, const_beats;
    // The tile on its way: requested (waiting for the DRAM to take it), then its beats arriving.
    reg                requested, receiving;
    reg [DIM_BITS-1:0] beat;        // the next beat's index in the block
    reg [DIM_BITS-1:0] tile;        // its number since reset: the tiles loaded before it

    wire [DIM_BITS-1:0] block_beats = const_beats + weight_beats;
`ifdef MUTANT_DMA_EARLY_SWAP
    // Mutation: the double buffer swaps early: a tile's block may come while the half is still read.
    wire                half_free   = tile < weights_done + TWO + ONE;
`else
    wire                half_free   = tile < weights_done + TWO;
`endif
    wire                last_beat   = beat == block_beats - ONE;

    assign tiles_loaded   = tile;
    assign ready          = !pending;
    assign busy           = active || pending;
    assign dram_req_valid = requested;
    assign dram_req_addr  = {{(32-DIM_BITS){1'b0}}, block_addr};
    assign dram_req_beats = block_beats;

    wire                is_const    = beat < const_beats;
    // The beat's place in the tile's half (its bits above the half's do not matter).
    /* verilator lint_off UNUSEDSIGNAL */
    wire [DIM_BITS-1:0] weight_beat = beat - const_beats;
    /* verilator lint_on UNUSEDSIGNAL */
`ifdef MUTANT_DMA_DROP_BEAT
    // Mutation: each tile's third weight beat is dropped (never written).
    assign wgt_wr_en     = receiving && dram_rsp_valid && !is_const && weight_beat != TWO;
`else
    assign wgt_wr_en     = receiving && dram_rsp_valid && !is_const;
`endif
    assign wgt_wr_addr   = {tile[0], weight_beat[BEAT_ADDR_BITS-2:0]};
    assign wgt_wr_data   = dram_rsp_data;
    assign const_wr_en   = receiving && dram_rsp_valid && is_const;
    assign const_wr_lane = beat[LANE_BITS-1:0];
    assign const_wr_tile = tile[TILE_BITS-1:0];
    assign const_wr_data = dram_rsp_data;

    always @(posedge clk) begin
        if (rst) begin
            pending      <= 1'b0;
            active       <= 1'b0;
            requested    <= 1'b0;
            receiving    <= 1'b0;
            beat         <= {DIM_BITS{1'b0}};
            tile         <= {DIM_BITS{1'b0}};
        end else begin
            if (load) begin
                pending              <= 1'b1;
                pending_base         <= dram_base_in;
                pending_tiles        <= tiles_in;
                pending_weight_beats <= weight_beats_in;
                pending_const_beats  <= const_beats_in;
            end
            if (!active && pending && !load) begin
                // The waiting LOAD runs (a LOAD with no tiles ends at once).
                pending      <= 1'b0;
                active       <= pending_tiles != {DIM_BITS{1'b0}};
                block_addr   <= pending_base;
                tiles_left   <= pending_tiles;
                weight_beats <= pending_weight_beats;
                const_beats  <= pending_const_beats;
            end
            if (active && !requested && !receiving && half_free) begin
                requested <= 1'b1;
            end
            if (requested && dram_req_ready) begin
                requested <= 1'b0;
                receiving <= 1'b1;
                beat      <= {DIM_BITS{1'b0}};
            end
            if (receiving && dram_rsp_valid) begin
                beat <= beat + ONE;
                if (last_beat) begin
                    receiving    <= 1'b0;
                    tile         <= tile + ONE;
                    block_addr   <= block_addr + block_beats;
                    tiles_left   <= tiles_left - ONE;
                    if (tiles_left == ONE) begin
                        active <= 1'b0;
                    end
                end
            end
        end
    end
endmodule
