// qaccel core: a ROWS x COLS systolic array that runs 3x3 convolutions weight stationary (WS) or
// output stationary (OS), with its memories, input skew, output de-skew, accumulator and an
// instruction-driven controller. rtl/README.md has the datapath diagram, the instruction set,
// the memory layouts and the cycle formula.
//
//   instr_mem -> controller -> sequencer -> act_mem -(OS: transpose)-> row skew --> mac_array -> de-skew
//                                        \-> wgt_mem -> col skew ------------------/     -> accumulator
//                                                              (acc memory, ReLU on host read-out)
//                         \-> readout: accumulator -> requant -> maxpool -> level_valid/level_data
// The host port writes the instruction, activation and weight memories and the requantization
// constants, and reads the accumulator memory (data one cycle after host_rd_en, ReLU'd when
// host_rd_relu; only while the core is not busy). A DRAIN instruction sends a layer's sums out
// requantized and pooled, one word of COLS levels per level_valid; a storing DRAIN also writes them
// into the activation memory as the next layer's map (ROWS = COLS only: a level word is a map word). psum_row_valid/psum_row show every row of partial sums that leaves the array, as the
// accumulator receives it, for monitors. Status flags are sticky until reset; fifo_overflow (named
// after the output FIFO the de-skew replaced, for the benches that read it) says a row of results
// lost a word on its way out of the array.
module core #(
    parameter ROWS            = 8,
    parameter COLS            = 8,
    parameter ACT_BITS        = 8,
    parameter ACT_SIGNED      = 1,   // activation lanes are two's complement (else unsigned)
    parameter WGT_BITS        = 4,
    parameter PSUM_BITS       = 32,
    parameter INSTR_ADDR_BITS = 4,
    parameter ACT_ADDR_BITS   = 10,
    parameter ACT_WORDS       = 1 << ACT_ADDR_BITS,  // the activation memory's depth (a network needs less)
    parameter WGT_ADDR_BITS   = 10,
    parameter ACC_ADDR_BITS   = 10,
    parameter MULT_BITS       = 24,  // M_c of the requantization constants (requant.mult_bits)
    parameter LEVEL_BITS      = 16,  // a level lane: the widest clamp (a_bits, requant.feature_bits)
    parameter CONST_ADDR_BITS = 6,   // output-channel tiles of requantization constants
    // Derived, leave at the default: host port address and data widths.
    parameter LANE_BITS        = (COLS > 1) ? $clog2(COLS) : 1,
    parameter MEMORY_ADDR_BITS = (ACT_ADDR_BITS > WGT_ADDR_BITS)
                               ? (ACT_ADDR_BITS > INSTR_ADDR_BITS ? ACT_ADDR_BITS : INSTR_ADDR_BITS)
                               : (WGT_ADDR_BITS > INSTR_ADDR_BITS ? WGT_ADDR_BITS : INSTR_ADDR_BITS),
    parameter HOST_ADDR_BITS   = (MEMORY_ADDR_BITS > CONST_ADDR_BITS + LANE_BITS)
                               ? MEMORY_ADDR_BITS : CONST_ADDR_BITS + LANE_BITS,
    parameter HOST_DATA_BITS   = (ROWS*ACT_BITS > COLS*WGT_BITS)
                               ? (ROWS*ACT_BITS > 256 ? ROWS*ACT_BITS : 256)
                               : (COLS*WGT_BITS > 256 ? COLS*WGT_BITS : 256),
    // The weight memory's word: a beat of 2^WEIGHT_WORDS_LOG2 weight words (COLS*WGT_BITS each), as
    // many as fit 128 bits (at least one); the DRAM's beat: a weight beat, or a lane's constants
    // {S, B_c, M_c} if wider.
    parameter WEIGHT_WORDS_LOG2 = (COLS*WGT_BITS >= 128) ? 0 : $clog2(128 / (COLS*WGT_BITS) + 1) - 1,
    parameter WEIGHT_BEAT_BITS  = (1 << WEIGHT_WORDS_LOG2) * COLS*WGT_BITS,
    parameter DRAM_BEAT_BITS    = (WEIGHT_BEAT_BITS > 6 + PSUM_BITS + 2*MULT_BITS)
                                ? WEIGHT_BEAT_BITS : 6 + PSUM_BITS + 2*MULT_BITS
) (
    input                         clk,
    input                         rst,
    input                         start,
    output                        done,
    output                        busy,
    output                        bad_instruction,
    output                        fifo_overflow,  // a row of results lost a word (output_deskew)
    output                        acc_overflow,
    output [31:0]                 perf_cycles,
    output [2:0]                  dbg_state,
    output [INSTR_ADDR_BITS-1:0]  dbg_pc,
    output [31:0]                 dbg_fold,
    input                         host_wr_en,
    input  [1:0]                  host_wr_sel,
    // Sized for a word address of every memory; the weight memory takes a beat address (fewer bits).
    /* verilator lint_off UNUSEDSIGNAL */
    input  [HOST_ADDR_BITS-1:0]   host_wr_addr,
    /* verilator lint_on UNUSEDSIGNAL */
    input  [HOST_DATA_BITS-1:0]   host_wr_data,
    input                         host_rd_en,
    input                         host_rd_relu,
    input  [ACC_ADDR_BITS-1:0]    host_rd_addr,
    output [COLS*PSUM_BITS-1:0]   host_rd_data,
    output                        psum_row_valid,
    output [COLS*PSUM_BITS-1:0]   psum_row,
    output                        level_valid,
    output [COLS*LEVEL_BITS-1:0]  level_data,
    // external memory (DRAM) for the DMA engine (dma.v): one request of dram_req_beats beats from
    // beat dram_req_addr at a time, its beats in order, at most one per cycle
    output                        dram_req_valid,
    input                         dram_req_ready,
    output [31:0]                 dram_req_addr,
    output [23:0]                 dram_req_beats,
    input                         dram_rsp_valid,
    input  [DRAM_BEAT_BITS-1:0]   dram_rsp_data
);
    localparam INSTR_BITS = 256;  // an instruction: opcode and a layer descriptor
    localparam FIELD_BITS = 24;   // a descriptor field: counts, pitches, addresses (up to 2^24 words)
    localparam ACT_WORD = ROWS*ACT_BITS;
    localparam WGT_WORD = COLS*WGT_BITS;
    localparam ROW_WORD = COLS*PSUM_BITS;
    localparam TAGGED   = ACT_BITS + 1;  // an activation lane and its fold tag

    localparam [1:0] SEL_INSTR = 2'd0;
    localparam [1:0] SEL_ACT   = 2'd1;
    localparam [1:0] SEL_WGT   = 2'd2;  // address: a beat of the weight memory
    localparam [1:0] SEL_CONST = 2'd3;  // address {tile, lane}, data {S, B_c, M_c} from bit 0
    localparam BIAS_BITS = PSUM_BITS + MULT_BITS;

    // controller <-> sequencers
    wire                       instr_rd_en;
    wire [INSTR_ADDR_BITS-1:0] instr_rd_addr;
    wire [INSTR_BITS-1:0]      instr_rd_data;
    wire [FIELD_BITS-1:0]      width, height, tile_pitch, in_tiles, out_tiles, pixel_tiles, pixels;
    wire [ACT_ADDR_BITS-1:0]   act_base;
    wire [WGT_ADDR_BITS-1:0]   wgt_base;
    wire [ACC_ADDR_BITS-1:0]   acc_base;
    wire                       run_start, run_start_os, run_os, run_ring, run_dma;
    wire [FIELD_BITS-1:0]      load_dram_base, load_tiles, load_weight_beats, load_const_beats;
    wire                       load_start, dma_ready, dma_busy;
    // dma: the tiles whose weights have arrived, and those whose weights the sequencer has read (the
    // tile it reads is the next; its half of the weight memory is that count's low bit)
    wire [FIELD_BITS-1:0]      tiles_loaded;
    reg  [FIELD_BITS-1:0]      weights_read;
    wire                       sequencer_tile_read;
    wire [WGT_ADDR_BITS-1:0]   sequencer_wgt_addr;
    wire                       sequencer_busy;
    wire                       datapath_busy;
    wire [FIELD_BITS-1:0]      drain_width, drain_height, drain_out_tiles;
    wire [ACC_ADDR_BITS-1:0]   drain_acc_base;
    wire                       drain_pool, drain_start, readout_busy;
    wire [4:0]                 drain_level_bits;
    /* verilator lint_off UNUSEDSIGNAL */
    wire [FIELD_BITS-1:0]      drain_const_base;  // the bits that address the constant memories
    /* verilator lint_on UNUSEDSIGNAL */
    wire                       drain_store, drain_ring;
    wire [ACT_ADDR_BITS-1:0]   drain_act_base;
    wire                       controller_bad_instruction;
    // ring: the tiles complete in the accumulator and read out of it (below)
    localparam [FIELD_BITS-1:0] TWO_TILES = 2;
    reg                        tile_done_q;
    reg  [FIELD_BITS-1:0]      tiles_complete, tiles_read;
    wire                       readout_tile_read;

    // sequencer -> memories
    wire                       act_step, act_rd_en, act_pad, act_tag, wgt_rd_en;
    wire [ACT_ADDR_BITS-1:0]   act_rd_addr;
    wire [WGT_ADDR_BITS-1:0]   wgt_rd_addr;
    wire [ACT_WORD-1:0]        act_rd_data;
    wire [WGT_WORD-1:0]        wgt_rd_data;
    // the memories' read data is valid one cycle after the read; a padding step's word is zero
    reg                        act_word_valid, act_word_pad, act_word_tag, wgt_word_valid;

    controller #(
        .INSTR_BITS     (INSTR_BITS),
        .FIELD_BITS     (FIELD_BITS),
        .INSTR_ADDR_BITS(INSTR_ADDR_BITS),
        .ACT_ADDR_BITS  (ACT_ADDR_BITS),
        .WGT_ADDR_BITS  (WGT_ADDR_BITS),
        .ACC_ADDR_BITS  (ACC_ADDR_BITS)
    ) u_controller (
        .clk            (clk),
        .rst            (rst),
        .start          (start),
        .done           (done),
        .busy           (busy),
        .bad_instruction(controller_bad_instruction),
        .perf_cycles    (perf_cycles),
        .state_out      (dbg_state),
        .pc_out         (dbg_pc),
        .instr_rd_en    (instr_rd_en),
        .instr_rd_addr  (instr_rd_addr),
        .instr_rd_data  (instr_rd_data),
        .width          (width),
        .height         (height),
        .tile_pitch     (tile_pitch),
        .in_tiles       (in_tiles),
        .out_tiles      (out_tiles),
        .pixel_tiles    (pixel_tiles),
        .pixels         (pixels),
        .act_base       (act_base),
        .wgt_base       (wgt_base),
        .acc_base       (acc_base),
        .run_start      (run_start),
        .run_start_os   (run_start_os),
        .run_os         (run_os),
        .run_ring       (run_ring),
        .run_dma        (run_dma),
        .load_dram_base (load_dram_base),
        .load_tiles     (load_tiles),
        .load_weight_beats(load_weight_beats),
        .load_const_beats(load_const_beats),
        .load_start     (load_start),
        .dma_ready      (dma_ready),
        .dma_busy       (dma_busy),
        .sequencer_busy (sequencer_busy),
        .drain_width    (drain_width),
        .drain_height   (drain_height),
        .drain_out_tiles(drain_out_tiles),
        .drain_acc_base (drain_acc_base),
        .drain_pool     (drain_pool),
        .drain_level_bits(drain_level_bits),
        .drain_const_base(drain_const_base),
        .drain_store    (drain_store),
        .drain_ring     (drain_ring),
        .drain_act_base (drain_act_base),
        .drain_start    (drain_start),
        .readout_busy   (readout_busy),
        .datapath_busy  (datapath_busy)
    );

    sequencer #(
        .ROWS         (ROWS),
        .DIM_BITS     (FIELD_BITS),
        .ACT_ADDR_BITS(ACT_ADDR_BITS),
        .WGT_ADDR_BITS(WGT_ADDR_BITS)
    ) u_sequencer (
        .clk           (clk),
        .rst           (rst),
        .start         (run_start),
        .mode_os       (run_start_os),
        .ring_in       (run_ring),
        .dma_in        (run_dma),
        .width_in      (width),
        .height_in     (height),
        .tile_pitch_in (tile_pitch),
        .in_tiles_in   (in_tiles),
        .out_tiles_in  (out_tiles),
        .pixel_tiles_in(pixel_tiles),
        .pixels_in     (pixels),
        .act_base_in   (act_base),
        .wgt_base_in   (wgt_base),
        .tile_limit    (tiles_read + TWO_TILES),
        .tile_ready    (weights_read < tiles_loaded),
        .tile_read     (sequencer_tile_read),
        .busy       (sequencer_busy),
        .act_step   (act_step),
        .act_rd_en  (act_rd_en),
        .act_rd_addr(act_rd_addr),
        .act_pad    (act_pad),
        .act_tag    (act_tag),
        .wgt_rd_en  (wgt_rd_en),
        .wgt_rd_addr(sequencer_wgt_addr),
        .fold       (dbg_fold)
    );

    sdp_ram #(.WIDTH(INSTR_BITS), .ADDR_BITS(INSTR_ADDR_BITS)) u_instr_mem (
        .clk    (clk),
        .wr_en  (host_wr_en && host_wr_sel == SEL_INSTR),
        .wr_addr(host_wr_addr[INSTR_ADDR_BITS-1:0]),
        .wr_data(host_wr_data[INSTR_BITS-1:0]),
        .rd_en  (instr_rd_en),
        .rd_addr(instr_rd_addr),
        .rd_data(instr_rd_data)
    );

    // The activation memory's write port: a storing DRAIN's levels, the host otherwise.
    wire                     store_wr_en;
    wire [ACT_ADDR_BITS-1:0] store_wr_addr;
    wire [ACT_WORD-1:0]      store_wr_data;
    sdp_ram #(.WIDTH(ACT_WORD), .ADDR_BITS(ACT_ADDR_BITS), .DEPTH(ACT_WORDS)) u_act_mem (
        .clk    (clk),
        .wr_en  (store_wr_en || (host_wr_en && host_wr_sel == SEL_ACT)),
        .wr_addr(store_wr_en ? store_wr_addr : host_wr_addr[ACT_ADDR_BITS-1:0]),
        .wr_data(store_wr_en ? store_wr_data : host_wr_data[ACT_WORD-1:0]),
        .rd_en  (act_rd_en),
        .rd_addr(act_rd_addr),
        .rd_data(act_rd_data)
    );

    // The weight memory holds beats of 2^WEIGHT_WORDS_LOG2 words: the DMA writes a beat per cycle, the
    // sequencer reads a word (its beat, then the word picked from the read register). A dma RUN's
    // words are in the half of the tile it reads (weights_read's low bit).
    localparam WGT_BEAT_ADDR_BITS = WGT_ADDR_BITS - WEIGHT_WORDS_LOG2;
    wire                          dma_wgt_wr_en;
    wire [WGT_BEAT_ADDR_BITS-1:0] dma_wgt_wr_addr;
    /* verilator lint_off UNUSEDSIGNAL */
    wire [DRAM_BEAT_BITS-1:0]     dma_wgt_wr_data;
    /* verilator lint_on UNUSEDSIGNAL */
    wire [WEIGHT_BEAT_BITS-1:0]   wgt_beat;
    reg                           reading_dma;  // the RUN being read is a dma RUN
    assign wgt_rd_addr = reading_dma ? {weights_read[0], sequencer_wgt_addr[WGT_ADDR_BITS-2:0]} : sequencer_wgt_addr;
    always @(posedge clk) begin
        if (run_start) begin
            reading_dma <= run_dma;
        end
    end
    sdp_ram #(.WIDTH(WEIGHT_BEAT_BITS), .ADDR_BITS(WGT_BEAT_ADDR_BITS)) u_wgt_mem (
        .clk    (clk),
        .wr_en  (dma_wgt_wr_en || (host_wr_en && host_wr_sel == SEL_WGT)),
        .wr_addr(dma_wgt_wr_en ? dma_wgt_wr_addr : host_wr_addr[WGT_BEAT_ADDR_BITS-1:0]),
        .wr_data(dma_wgt_wr_en ? dma_wgt_wr_data[WEIGHT_BEAT_BITS-1:0] : host_wr_data[WEIGHT_BEAT_BITS-1:0]),
        .rd_en  (wgt_rd_en),
        .rd_addr(wgt_rd_addr[WGT_ADDR_BITS-1:WEIGHT_WORDS_LOG2]),
        .rd_data(wgt_beat)
    );
    generate
        if (WEIGHT_WORDS_LOG2 > 0) begin : g_word_select
            reg  [WEIGHT_WORDS_LOG2-1:0] word_q;
            wire [WGT_WORD-1:0]          beat_words [0:(1<<WEIGHT_WORDS_LOG2)-1];
            genvar w;
            for (w = 0; w < (1 << WEIGHT_WORDS_LOG2); w = w + 1) begin : g_word
                assign beat_words[w] = wgt_beat[w*WGT_WORD +: WGT_WORD];
            end
            always @(posedge clk) begin
                if (wgt_rd_en) begin
                    word_q <= wgt_rd_addr[WEIGHT_WORDS_LOG2-1:0];
                end
            end
            assign wgt_rd_data = beat_words[word_q];
        end else begin : g_one_word
            assign wgt_rd_data = wgt_beat;
        end
    endgenerate

    // The DMA engine: each tile's constants and weights from DRAM (dma.v). A program's start resets
    // its tile count and weights_read.
    wire                       program_start = start && !busy;
    wire                       dma_const_wr_en;
    wire [LANE_BITS-1:0]       dma_const_wr_lane;
    wire [CONST_ADDR_BITS-1:0] dma_const_wr_tile;
    // A DRAM beat is as wide as the wider of a weight beat and a lane's constants.
    /* verilator lint_off UNUSEDSIGNAL */
    wire [DRAM_BEAT_BITS-1:0]  dma_const_wr_data;
    /* verilator lint_on UNUSEDSIGNAL */
    wire [FIELD_BITS-1:0]      dma_req_beats;
    assign dram_req_beats = dma_req_beats[23:0];
    dma #(
        .DIM_BITS      (FIELD_BITS),
        .BEAT_BITS     (DRAM_BEAT_BITS),
        .BEAT_ADDR_BITS(WGT_BEAT_ADDR_BITS),
        .TILE_BITS     (CONST_ADDR_BITS),
        .LANE_BITS     (LANE_BITS)
    ) u_dma (
        .clk            (clk),
        .rst            (rst || program_start),
        .load           (load_start),
        .dram_base_in   (load_dram_base),
        .tiles_in       (load_tiles),
        .weight_beats_in(load_weight_beats),
        .const_beats_in (load_const_beats),
        .ready          (dma_ready),
        .weights_done   (weights_read),
        .tiles_loaded   (tiles_loaded),
        .busy           (dma_busy),
        .dram_req_valid (dram_req_valid),
        .dram_req_ready (dram_req_ready),
        .dram_req_addr  (dram_req_addr),
        .dram_req_beats (dma_req_beats),
        .dram_rsp_valid (dram_rsp_valid),
        .dram_rsp_data  (dram_rsp_data),
        .wgt_wr_en      (dma_wgt_wr_en),
        .wgt_wr_addr    (dma_wgt_wr_addr),
        .wgt_wr_data    (dma_wgt_wr_data),
        .const_wr_en    (dma_const_wr_en),
        .const_wr_lane  (dma_const_wr_lane),
        .const_wr_tile  (dma_const_wr_tile),
        .const_wr_data  (dma_const_wr_data)
    );
    always @(posedge clk) begin
        if (rst || program_start) begin
            weights_read <= {FIELD_BITS{1'b0}};
        end else if (sequencer_tile_read) begin
            weights_read <= weights_read + 1'b1;
        end
    end

    always @(posedge clk) begin
        if (rst) begin
            act_word_valid <= 1'b0;
            act_word_pad   <= 1'b0;
            act_word_tag   <= 1'b0;
            wgt_word_valid <= 1'b0;
        end else begin
            act_word_valid <= act_step;
            act_word_pad   <= act_pad;
            act_word_tag   <= act_step && act_tag;
            wgt_word_valid <= wgt_rd_en;
        end
    end
    wire [ACT_WORD-1:0] act_word = act_word_pad ? {ACT_WORD{1'b0}} : act_rd_data;

    // OS: each block of ROWS pixel words becomes ROWS channel words (lane = pixel).
    wire                gather_valid, gather_tag, gather_busy;
    wire [ACT_WORD-1:0] gather_word;
    transpose #(.LANES(ROWS), .WIDTH(ACT_BITS)) u_transpose (
        .clk      (clk),
        .rst      (rst),
        .in_valid (act_word_valid && run_os),
        .in_tag   (act_word_tag),
        .in_data  (act_word),
        .out_valid(gather_valid),
        .out_tag  (gather_tag),
        .out_data (gather_word),
        .busy     (gather_busy)
    );
    wire                array_word_valid = run_os ? gather_valid : act_word_valid;
    wire                array_word_tag   = run_os ? gather_tag : act_word_tag;
    wire [ACT_WORD-1:0] array_word       = run_os ? gather_word : act_word;

    // Row skew: every lane carries its activation and the fold tag.
    wire [ROWS*TAGGED-1:0] tagged_act;
    wire [ROWS*TAGGED-1:0] skewed_act;
    wire [ROWS-1:0]        row_valid;
    wire [ROWS*ACT_BITS-1:0] row_act;
    wire [ROWS-1:0]        row_tag;
    wire                   row_skew_busy;
    genvar lane;
    generate
        for (lane = 0; lane < ROWS; lane = lane + 1) begin : g_tag
            assign tagged_act[lane*TAGGED +: TAGGED] = {array_word_tag, array_word[lane*ACT_BITS +: ACT_BITS]};
            assign row_act[lane*ACT_BITS +: ACT_BITS] = skewed_act[lane*TAGGED +: ACT_BITS];
            assign row_tag[lane] = skewed_act[lane*TAGGED + ACT_BITS];
        end
    endgenerate

    skew_buffer #(.LANES(ROWS), .WIDTH(TAGGED)) u_row_skew (
        .clk      (clk),
        .rst      (rst),
        .in_valid (array_word_valid),
        .in_data  (tagged_act),
        .out_valid(row_valid),
        .out_data (skewed_act),
        .busy     (row_skew_busy)
    );

    wire [COLS-1:0]     col_valid;
    wire [WGT_WORD-1:0] col_wgt;
    wire                col_skew_busy;
    skew_buffer #(.LANES(COLS), .WIDTH(WGT_BITS)) u_col_skew (
        .clk      (clk),
        .rst      (rst),
        .in_valid (wgt_word_valid),
        .in_data  (wgt_rd_data),
        .out_valid(col_valid),
        .out_data (col_wgt),
        .busy     (col_skew_busy)
    );

    wire [ROW_WORD-1:0] south_data;
    wire [COLS-1:0]     south_valid;
    wire                array_busy, array_overflow;
    mac_array #(
        .ROWS     (ROWS),
        .COLS     (COLS),
        .ACT_BITS  (ACT_BITS),
        .WGT_BITS  (WGT_BITS),
        .PSUM_BITS (PSUM_BITS),
        .ACT_SIGNED(ACT_SIGNED)
    ) u_array (
        .clk        (clk),
        .rst        (rst),
        .mode_os    (run_os),
        .west_act   (row_act),
        .west_valid (row_valid),
        .west_tag   (row_tag),
        .north_wgt  (col_wgt),
        .north_valid(col_valid),
        .south_data (south_data),
        .south_valid(south_valid),
        .overflow   (array_overflow),
        .busy       (array_busy)
    );

    wire deskew_busy;
    output_deskew #(
        .COLS (COLS),
        .WIDTH(PSUM_BITS)
    ) u_deskew (
        .clk       (clk),
        .rst       (rst),
        .in_valid  (south_valid),
        .in_data   (south_data),
        .out_valid (psum_row_valid),
        .out_data  (psum_row),
        .misaligned(fifo_overflow),
        .busy      (deskew_busy)
    );

    wire [ACC_ADDR_BITS-1:0] row_addr;
    wire                     row_first, row_write, row_tile_done;
    acc_sequencer #(
        .ROWS         (ROWS),
        .DIM_BITS     (FIELD_BITS),
        .ACC_ADDR_BITS(ACC_ADDR_BITS)
    ) u_acc_sequencer (
        .clk         (clk),
        .rst         (rst),
        .start       (run_start),
        .mode_os     (run_start_os),
        .ring_in     (run_ring),
        .in_tiles_in (in_tiles),
        .out_tiles_in(out_tiles),
        .pixels_in   (pixels),
        .acc_base_in (acc_base),
        .advance  (psum_row_valid),
        .addr     (row_addr),
        .first    (row_first),
        .write    (row_write),
        .tile_done(row_tile_done)
    );

    // Ring: the tiles whose sums are all in the accumulator memory (counted once the tile's last row is
    // written: the cycle after it arrives for OS, two for WS's add), and those the read-out has read
    // (their bank is free again; the sequencer starts tile t once t < tiles_read + 2).
    always @(posedge clk) begin
        if (rst || run_start) begin
            tile_done_q    <= 1'b0;
            tiles_complete <= {FIELD_BITS{1'b0}};
            tiles_read     <= {FIELD_BITS{1'b0}};
        end else begin
            tile_done_q    <= row_tile_done;
            tiles_complete <= tiles_complete + {{(FIELD_BITS-1){1'b0}}, run_os ? row_tile_done : tile_done_q};
            tiles_read     <= tiles_read + {{(FIELD_BITS-1){1'b0}}, readout_tile_read};
        end
    end

    // The accumulator's host read port serves the read-out while it runs, the host otherwise.
    wire                     readout_rd_en;
    wire [ACC_ADDR_BITS-1:0] readout_rd_addr;
    wire [ROW_WORD-1:0]      acc_rd_data;
    wire acc_busy, acc_add_overflow;
    accumulator #(
        .COLS     (COLS),
        .PSUM_BITS(PSUM_BITS),
        .ADDR_BITS(ACC_ADDR_BITS)
    ) u_accumulator (
        .clk         (clk),
        .rst         (rst),
        .row_valid   (psum_row_valid),
        .row_data    (psum_row),
        .row_addr    (row_addr),
        .row_first   (row_first),
        .row_write   (row_write),
        .direct      (run_os),
        .host_rd_en  (readout_rd_en || host_rd_en),
        .host_rd_relu(!readout_rd_en && host_rd_relu),
        .host_rd_addr(readout_rd_en ? readout_rd_addr : host_rd_addr),
        .host_rd_data(acc_rd_data),
        .overflow    (acc_add_overflow),
        .busy        (acc_busy)
    );

    assign host_rd_data = acc_rd_data;

    // A stored level lane is the low ACT_BITS of its level lane: the clamp must keep levels within an
    // activation lane (a_bits <= ACT_BITS, one less for signed lanes), and a level word must be a map
    // word (ROWS = COLS). A storing DRAIN that breaks either is refused.
    localparam STORE_LEVEL_BITS = ACT_BITS - ACT_SIGNED;
    localparam CAN_STORE        = ROWS == COLS;
    genvar store_lane;
    generate
        for (store_lane = 0; store_lane < ROWS; store_lane = store_lane + 1) begin : g_store
            if (CAN_STORE && store_lane < COLS) begin : g_level
                if (LEVEL_BITS >= ACT_BITS) begin : g_low
                    assign store_wr_data[store_lane*ACT_BITS +: ACT_BITS] =
                        level_data[store_lane*LEVEL_BITS +: ACT_BITS];
                end else begin : g_widen
                    assign store_wr_data[store_lane*ACT_BITS +: ACT_BITS] =
                        {{(ACT_BITS-LEVEL_BITS){1'b0}}, level_data[store_lane*LEVEL_BITS +: LEVEL_BITS]};
                end
            end else begin : g_none
                assign store_wr_data[store_lane*ACT_BITS +: ACT_BITS] = {ACT_BITS{1'b0}};
            end
        end
    endgenerate
    wire store_allowed = CAN_STORE && {27'd0, drain_level_bits} <= STORE_LEVEL_BITS;
    // The constant memories' write port: the DMA's beats, the host otherwise.
    wire                       host_const_wr  = host_wr_en && host_wr_sel == SEL_CONST;
    wire                       const_wr_en    = dma_const_wr_en || host_const_wr;
    wire [LANE_BITS-1:0]       const_wr_lane  = dma_const_wr_en ? dma_const_wr_lane : host_wr_addr[LANE_BITS-1:0];
    wire [CONST_ADDR_BITS-1:0] const_wr_tile  = dma_const_wr_en ? dma_const_wr_tile
                                                                : host_wr_addr[LANE_BITS +: CONST_ADDR_BITS];
    wire [BIAS_BITS+MULT_BITS+5:0] const_wr_data = dma_const_wr_en ? dma_const_wr_data[BIAS_BITS+MULT_BITS+5:0]
                                                                   : host_wr_data[BIAS_BITS+MULT_BITS+5:0];
    wire readout_bad_shape;
    readout #(
        .COLS         (COLS),
        .PSUM_BITS    (PSUM_BITS),
        .MULT_BITS    (MULT_BITS),
        .BIAS_BITS    (BIAS_BITS),
        .LEVEL_BITS   (LEVEL_BITS),
        .TILE_BITS    (CONST_ADDR_BITS),
        .DIM_BITS     (FIELD_BITS),
        .ACC_ADDR_BITS(ACC_ADDR_BITS),
        .ACT_ADDR_BITS(ACT_ADDR_BITS)
    ) u_readout (
        .clk           (clk),
        .rst           (rst),
        .start         (drain_start),
        .ring_in       (drain_ring),
        .tiles_complete(tiles_complete),
        .tile_read     (readout_tile_read),
        .width_in      (drain_width),
        .height_in     (drain_height),
        .out_tiles_in  (drain_out_tiles),
        .acc_base_in   (drain_acc_base),
        .pool_in       (drain_pool),
        .level_bits_in (drain_level_bits),
        .const_base_in (drain_const_base[CONST_ADDR_BITS-1:0]),
        .store_in      (drain_store && store_allowed),
        .act_base_in   (drain_act_base),
        .const_wr_en   (const_wr_en),
        .const_wr_lanes({{(COLS-1){1'b0}}, 1'b1} << const_wr_lane),
        .const_wr_tile (const_wr_tile),
        .const_wr_mult (const_wr_data[MULT_BITS-1:0]),
        .const_wr_bias (const_wr_data[MULT_BITS +: BIAS_BITS]),
        .const_wr_shift(const_wr_data[MULT_BITS + BIAS_BITS +: 6]),
        .acc_rd_en     (readout_rd_en),
        .acc_rd_addr   (readout_rd_addr),
        .acc_rd_data   (acc_rd_data),
        .level_valid   (level_valid),
        .level_data    (level_data),
        .store_wr_en   (store_wr_en),
        .store_wr_addr (store_wr_addr),
        .bad_shape     (readout_bad_shape),
        .busy          (readout_busy)
    );

    wire store_refused = drain_start && drain_store && !store_allowed;

    // A DRAIN whose map the max-pool refuses (odd, empty or too wide), or a store refused, is a bad
    // instruction.
    reg drain_refused;
    always @(posedge clk) begin
        if (rst) begin
            drain_refused <= 1'b0;
        end else if (readout_bad_shape || store_refused) begin
            drain_refused <= 1'b1;
        end
    end
    assign bad_instruction = controller_bad_instruction || drain_refused;

    // Accumulations that overflowed: the accumulator memory's adds, and the PEs' OS accumulators.
    reg acc_memory_overflow;
    always @(posedge clk) begin
        if (rst) begin
            acc_memory_overflow <= 1'b0;
        end else if (acc_add_overflow) begin
            acc_memory_overflow <= 1'b1;
        end
    end
    assign acc_overflow = acc_memory_overflow || array_overflow;

    assign datapath_busy = sequencer_busy || act_word_valid || gather_busy || wgt_word_valid || row_skew_busy
                        || col_skew_busy || array_busy || deskew_busy || acc_busy || readout_busy;
endmodule
