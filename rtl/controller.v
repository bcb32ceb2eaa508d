// Instruction-driven controller. On `start` it fetches INSTR_BITS-wide instructions from address 0:
//
//   [3:0] opcode   0 HALT    wait until the datapath is empty, then raise `done`
//                  1 RUN_WS  run the layer the instruction describes, weight stationary
//                  2 RUN_OS  the same, output stationary
//                  3 DRAIN   once the datapath is empty, read the accumulator out through the
//                            requantizer and the max-pool (readout.v) and wait until it is done
//                  4 LOAD    hand a layer's tile blocks to the DMA engine (dma.v; fields dram_base,
//                            tiles, weight_beats, const_beats) once it can take one, and go on
//   any other opcode stops the program with bad_instruction set.
//   Bit 5 (dma) of a RUN: its weights come tile by tile from the DMA (a LOAD before it).
//   HALT also waits for the DMA engine to be idle.
//   Bit 4 (ring) of a RUN and of its DRAIN: the layer's output-channel tiles alternate between the
//   accumulator's two banks and the DRAIN reads each tile out while the RUN computes the next. The
//   controller fetches the DRAIN as soon as the RUN has started, and starts it once the read-out is
//   idle (without ring: once the datapath is empty); a ring RUN must be followed by its DRAIN.
//
// A RUN instruction is a whole layer descriptor: ten fields of FIELD_BITS from bit 8 upward, in
// order width, height, tile_pitch, in_tiles, out_tiles, pixel_tiles, pixels, act_base,
// wgt_base, acc_base (rtl/README.md, "Instruction set"). Decoding it hands the fields to the
// sequencer (memory reads) and the accumulator's address sequencer (writes). A DRAIN's fields,
// from bit 8 upward in FIELD_BITS each: width, height, out_tiles, acc_base, pool (bit 0), level_bits,
// const_base, store (bit 0), act_base (where a storing DRAIN writes its levels: the next map).
// The next instruction
// is fetched while the layer's last results are still on their way; a RUN after a RUN starts once
// the datapath is empty.
module controller #(
    parameter INSTR_BITS      = 256,
    parameter FIELD_BITS      = 24,
    parameter INSTR_ADDR_BITS = 4,
    parameter ACT_ADDR_BITS   = 10,
    parameter WGT_ADDR_BITS   = 10,
    parameter ACC_ADDR_BITS   = 10
) (
    input                            clk,
    input                            rst,
    input                            start,
    output                           done,
    output                           busy,
    output reg                       bad_instruction,
    output reg [31:0]                perf_cycles,
    output     [2:0]                 state_out,
    output     [INSTR_ADDR_BITS-1:0] pc_out,
    // instruction memory
    output                           instr_rd_en,
    output     [INSTR_ADDR_BITS-1:0] instr_rd_addr,
    // Bits [7:6] and those past the last field are reserved (zero).
    /* verilator lint_off UNUSEDSIGNAL */
    input      [INSTR_BITS-1:0]      instr_rd_data,
    /* verilator lint_on UNUSEDSIGNAL */
    // the layer of the RUN being decoded (valid with run_start)
    output     [FIELD_BITS-1:0]      width,
    output     [FIELD_BITS-1:0]      height,
    output     [FIELD_BITS-1:0]      tile_pitch,
    output     [FIELD_BITS-1:0]      in_tiles,
    output     [FIELD_BITS-1:0]      out_tiles,
    output     [FIELD_BITS-1:0]      pixel_tiles,
    output     [FIELD_BITS-1:0]      pixels,
    output     [ACT_ADDR_BITS-1:0]   act_base,
    output     [WGT_ADDR_BITS-1:0]   wgt_base,
    output     [ACC_ADDR_BITS-1:0]   acc_base,
    output                           run_start,
    output                           run_start_os,
    output reg                       run_os,
    output                           run_ring,
    output                           run_dma,
    input                            sequencer_busy,
    // the LOAD being decoded (valid with load_start)
    output     [FIELD_BITS-1:0]      load_dram_base,
    output     [FIELD_BITS-1:0]      load_tiles,
    output     [FIELD_BITS-1:0]      load_weight_beats,
    output     [FIELD_BITS-1:0]      load_const_beats,
    output                           load_start,
    input                            dma_ready,
    input                            dma_busy,
    // the DRAIN being decoded (valid with drain_start)
    output     [FIELD_BITS-1:0]      drain_width,
    output     [FIELD_BITS-1:0]      drain_height,
    output     [FIELD_BITS-1:0]      drain_out_tiles,
    output     [ACC_ADDR_BITS-1:0]   drain_acc_base,
    output                           drain_pool,
    output     [4:0]                 drain_level_bits,
    output     [FIELD_BITS-1:0]      drain_const_base,
    output                           drain_store,
    output                           drain_ring,
    output     [ACT_ADDR_BITS-1:0]   drain_act_base,
    output                           drain_start,
    input                            readout_busy,
    // high while any word is in flight between the memories and the accumulator memory
    input                            datapath_busy
);
    localparam OP_HALT   = 4'd0;
    localparam OP_RUN_WS = 4'd1;
    localparam OP_RUN_OS = 4'd2;
    localparam OP_DRAIN  = 4'd3;
    localparam OP_LOAD   = 4'd4;

    localparam S_IDLE   = 3'd0;
    localparam S_FETCH  = 3'd1;
    localparam S_DECODE = 3'd2;
    localparam S_RUN    = 3'd3;  // the sequencer issues the layer's reads
    localparam S_FINISH = 3'd4;  // HALT: the last results travel to the accumulator memory
    localparam S_DONE   = 3'd5;
    localparam S_DRAIN  = 3'd6;  // the read-out runs

    reg [2:0]                 state;
    reg [INSTR_ADDR_BITS-1:0] pc;

    wire [3:0] opcode   = instr_rd_data[3:0];
    wire       ring     = instr_rd_data[4];
    wire       dma      = instr_rd_data[5];
    wire       is_load  = opcode == OP_LOAD;
    wire       decoding = state == S_DECODE;
    wire       is_run   = opcode == OP_RUN_WS || opcode == OP_RUN_OS;
    wire       is_drain = opcode == OP_DRAIN;

    // The descriptor's fields; the address fields keep the low bits that fit their memory.
    localparam FIELD_OFFSET = 8;
    /* verilator lint_off UNUSEDSIGNAL */
    wire [FIELD_BITS-1:0] act_base_field = instr_rd_data[FIELD_OFFSET + 7*FIELD_BITS +: FIELD_BITS];
    wire [FIELD_BITS-1:0] wgt_base_field = instr_rd_data[FIELD_OFFSET + 8*FIELD_BITS +: FIELD_BITS];
    wire [FIELD_BITS-1:0] acc_base_field = instr_rd_data[FIELD_OFFSET + 9*FIELD_BITS +: FIELD_BITS];
    /* verilator lint_on UNUSEDSIGNAL */

    assign width       = instr_rd_data[FIELD_OFFSET + 0*FIELD_BITS +: FIELD_BITS];
    assign height      = instr_rd_data[FIELD_OFFSET + 1*FIELD_BITS +: FIELD_BITS];
    assign tile_pitch  = instr_rd_data[FIELD_OFFSET + 2*FIELD_BITS +: FIELD_BITS];
    assign in_tiles    = instr_rd_data[FIELD_OFFSET + 3*FIELD_BITS +: FIELD_BITS];
    assign out_tiles   = instr_rd_data[FIELD_OFFSET + 4*FIELD_BITS +: FIELD_BITS];
    assign pixel_tiles = instr_rd_data[FIELD_OFFSET + 5*FIELD_BITS +: FIELD_BITS];
    assign pixels      = instr_rd_data[FIELD_OFFSET + 6*FIELD_BITS +: FIELD_BITS];
`ifdef MUTANT_ACT_BASE_FIELD
    // Mutation: the activation base comes from the weight base's field.
    assign act_base    = wgt_base_field[ACT_ADDR_BITS-1:0];
`else
    assign act_base    = act_base_field[ACT_ADDR_BITS-1:0];
`endif
    assign wgt_base    = wgt_base_field[WGT_ADDR_BITS-1:0];
    assign acc_base    = acc_base_field[ACC_ADDR_BITS-1:0];

    // A DRAIN's fields.
    /* verilator lint_off UNUSEDSIGNAL */
    wire [FIELD_BITS-1:0] drain_acc_base_field = instr_rd_data[FIELD_OFFSET + 3*FIELD_BITS +: FIELD_BITS];
    wire [FIELD_BITS-1:0] drain_pool_field     = instr_rd_data[FIELD_OFFSET + 4*FIELD_BITS +: FIELD_BITS];
    wire [FIELD_BITS-1:0] drain_level_field    = instr_rd_data[FIELD_OFFSET + 5*FIELD_BITS +: FIELD_BITS];
    wire [FIELD_BITS-1:0] drain_store_field    = instr_rd_data[FIELD_OFFSET + 7*FIELD_BITS +: FIELD_BITS];
    wire [FIELD_BITS-1:0] drain_act_base_field = instr_rd_data[FIELD_OFFSET + 8*FIELD_BITS +: FIELD_BITS];
    /* verilator lint_on UNUSEDSIGNAL */
    assign drain_width      = instr_rd_data[FIELD_OFFSET + 0*FIELD_BITS +: FIELD_BITS];
    assign drain_height     = instr_rd_data[FIELD_OFFSET + 1*FIELD_BITS +: FIELD_BITS];
    assign drain_out_tiles  = instr_rd_data[FIELD_OFFSET + 2*FIELD_BITS +: FIELD_BITS];
    assign drain_acc_base   = drain_acc_base_field[ACC_ADDR_BITS-1:0];
    assign drain_pool       = drain_pool_field[0];
    assign drain_level_bits = drain_level_field[4:0];
    assign drain_const_base = instr_rd_data[FIELD_OFFSET + 6*FIELD_BITS +: FIELD_BITS];
    assign drain_store      = drain_store_field[0];
    assign drain_act_base   = drain_act_base_field[ACT_ADDR_BITS-1:0];
    assign drain_ring       = ring;
    assign drain_start      = decoding && is_drain && (ring ? !readout_busy : !datapath_busy);

    assign instr_rd_en   = state == S_FETCH;
    assign instr_rd_addr = pc;
`ifdef MUTANT_RUN_IGNORES_BUSY
    // Mutation: a RUN starts while the layer before still has results in flight.
    assign run_start     = decoding && is_run;
`else
    assign run_start     = decoding && is_run && !datapath_busy;
`endif
    assign run_start_os  = opcode == OP_RUN_OS;
    assign run_ring      = ring;
    assign run_dma       = dma;
    assign load_dram_base    = instr_rd_data[FIELD_OFFSET + 0*FIELD_BITS +: FIELD_BITS];
    assign load_tiles        = instr_rd_data[FIELD_OFFSET + 1*FIELD_BITS +: FIELD_BITS];
    assign load_weight_beats = instr_rd_data[FIELD_OFFSET + 2*FIELD_BITS +: FIELD_BITS];
    assign load_const_beats  = instr_rd_data[FIELD_OFFSET + 3*FIELD_BITS +: FIELD_BITS];
    assign load_start        = decoding && is_load && dma_ready;
    assign done          = state == S_DONE;
    assign busy          = state != S_IDLE && state != S_DONE;
    assign state_out     = state;
    assign pc_out        = pc;

    always @(posedge clk) begin
        if (rst) begin
            state           <= S_IDLE;
            pc              <= {INSTR_ADDR_BITS{1'b0}};
            bad_instruction <= 1'b0;
            perf_cycles     <= 32'd0;
            run_os          <= 1'b0;
        end else begin
            if (busy) begin
                perf_cycles <= perf_cycles + 1'b1;
            end
            case (state)
                S_IDLE, S_DONE: begin
                    if (start) begin
                        state       <= S_FETCH;
                        pc          <= {INSTR_ADDR_BITS{1'b0}};
                        perf_cycles <= 32'd0;
                    end
                end
                S_FETCH: begin
                    state <= S_DECODE;
                end
                S_DECODE: begin
                    if (opcode == OP_HALT) begin
                        state <= S_FINISH;
                    end else if (run_start) begin
                        run_os <= opcode == OP_RUN_OS;
                        if (ring) begin
                            // The DRAIN that reads the tiles out runs beside the RUN.
                            pc    <= pc + 1'b1;
                            state <= S_FETCH;
                        end else begin
                            state <= S_RUN;
                        end
                    end else if (drain_start) begin
                        state <= S_DRAIN;
                    end else if (load_start) begin
                        pc    <= pc + 1'b1;
                        state <= S_FETCH;
                    end else if (!is_run && !is_drain && !is_load) begin
                        bad_instruction <= 1'b1;
                        state           <= S_FINISH;
                    end
                end
                S_RUN: begin
                    // The sequencer raised busy on the cycle after run_start.
                    if (!sequencer_busy) begin
                        pc    <= pc + 1'b1;
                        state <= S_FETCH;
                    end
                end
                S_DRAIN: begin
                    // The read-out raised busy on the cycle after drain_start.
                    if (!readout_busy) begin
                        pc    <= pc + 1'b1;
                        state <= S_FETCH;
                    end
                end
                S_FINISH: begin
                    if (!datapath_busy && !dma_busy) begin
                        state <= S_DONE;
                    end
                end
                default: begin
                    state <= S_IDLE;
                end
            endcase
        end
    end
endmodule
