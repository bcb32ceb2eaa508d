// Instruction-driven controller. It fetches INSTR_BITS-wide instructions from the instruction
// memory starting at address 0 when `start` is pulsed, sequences the memories, array and SFP,
// and raises `done` after HALT once the datapath is empty. The encoding, per-instruction timing
// and the programs for WS and OS layers are documented in rtl/README.md.
//
// Instruction fields (A = ADDR_BITS): [2:0] opcode, [3] relu, then fields a, b, c, d of A bits
// each from bit 4 upward.
//   HALT          finish
//   LOAD_WEIGHTS  (WS) read weight words a .. a+ROWS-1 (word a+r = array row r) into the array
//   STREAM        read d activation words from a (and, in OS, d weight words from b) into the
//                 array; results go to the psum memory from address c (WS: d rows; OS: the
//                 ROWS drained rows, address c+p = pixel lane p)
//   SFP_COUNTS    SFP loop counts   (count0, count1, count2) = (a, b, c)
//   SFP_STRIDES   SFP loop strides  (stride0, stride1, stride2) = (a, b, c)
//   SFP           accumulate psums from base a into output word c, ReLU if the relu bit is set
// Any other opcode (or LOAD_WEIGHTS in OS mode) stops the program with bad_instruction set.
module controller #(
    parameter ROWS      = 8,
    parameter ADDR_BITS = 10
) (
    input                        clk,
    input                        rst,
    input                        start,
    input                        mode_os,
    output reg                   mode_os_q,
    output                       done,
    output                       busy,
    output reg                   bad_instruction,
    output reg [31:0]            perf_array_cycles,
    output reg [31:0]            perf_sfp_cycles,
    // instruction memory
    output                       instr_rd_en,
    output     [ADDR_BITS-1:0]   instr_rd_addr,
    input      [4+4*ADDR_BITS-1:0] instr_rd_data,
    // activation and weight memories; *_word_valid marks the read data one cycle later
    output                       act_rd_en,
    output reg [ADDR_BITS-1:0]   act_rd_addr,
    output                       wgt_rd_en,
    output reg [ADDR_BITS-1:0]   wgt_rd_addr,
    output reg                   act_word_valid,
    output reg                   wgt_word_valid,
    // array control
    output                       weight_clear,
    output                       drain_capture,
    output                       drain_shift,
    // result writer
    output                       writer_start,
    output     [ADDR_BITS-1:0]   writer_start_addr,
    output                       writer_descending,
    // SFP
    output reg [ADDR_BITS-1:0]   sfp_count0,
    output reg [ADDR_BITS-1:0]   sfp_count1,
    output reg [ADDR_BITS-1:0]   sfp_count2,
    output reg [ADDR_BITS-1:0]   sfp_stride0,
    output reg [ADDR_BITS-1:0]   sfp_stride1,
    output reg [ADDR_BITS-1:0]   sfp_stride2,
    output                       sfp_cmd_valid,
    output     [ADDR_BITS-1:0]   sfp_cmd_base,
    output     [ADDR_BITS-1:0]   sfp_cmd_out_addr,
    output                       sfp_cmd_relu,
    input                        sfp_cmd_ready,
    // high while any word is in flight between the memories and the psum/output memories
    input                        datapath_busy
);
    // ROWS at the width of the counters it is compared with.
    localparam [ADDR_BITS-1:0] ROW_COUNT = ROWS[ADDR_BITS-1:0];
    localparam [ADDR_BITS-1:0] ONE       = 1;

    localparam OP_HALT         = 3'd0;
    localparam OP_LOAD_WEIGHTS = 3'd1;
    localparam OP_STREAM       = 3'd2;
    localparam OP_SFP_COUNTS   = 3'd3;
    localparam OP_SFP_STRIDES  = 3'd4;
    localparam OP_SFP          = 3'd5;

    localparam S_IDLE   = 4'd0;
    localparam S_FETCH  = 4'd1;
    localparam S_DECODE = 4'd2;
    localparam S_LOAD   = 4'd3;
    localparam S_STREAM = 4'd4;
    localparam S_SETTLE = 4'd5;  // wait for the array, FIFO and writer to empty
    localparam S_DRAIN  = 4'd6;
    localparam S_SFP    = 4'd7;
    localparam S_FINISH = 4'd8;
    localparam S_DONE   = 4'd9;

    reg [3:0]           state;
    reg [ADDR_BITS-1:0] pc;
    reg [ADDR_BITS-1:0] remaining;   // words still to read in S_LOAD / S_STREAM, rows in S_DRAIN
    reg                 drained;     // OS: the current tile has been drained
    reg                 sfp_phase;   // an SFP instruction has been decoded (perf counters)

    wire [2:0]           opcode  = instr_rd_data[2:0];
    wire                 relu    = instr_rd_data[3];
    wire [ADDR_BITS-1:0] field_a = instr_rd_data[4 +: ADDR_BITS];
    wire [ADDR_BITS-1:0] field_b = instr_rd_data[4 + ADDR_BITS +: ADDR_BITS];
    wire [ADDR_BITS-1:0] field_c = instr_rd_data[4 + 2*ADDR_BITS +: ADDR_BITS];
    wire [ADDR_BITS-1:0] field_d = instr_rd_data[4 + 3*ADDR_BITS +: ADDR_BITS];

    // SFP command: held from decode until the SFP accepts it.
    reg [ADDR_BITS-1:0] sfp_base_q;
    reg [ADDR_BITS-1:0] sfp_out_addr_q;
    reg                 sfp_relu_q;

    wire decoding = state == S_DECODE;

    assign instr_rd_en   = state == S_FETCH;
    assign instr_rd_addr = pc;
    assign act_rd_en     = state == S_STREAM;
    assign wgt_rd_en     = state == S_LOAD || (state == S_STREAM && mode_os_q);
    assign weight_clear  = decoding && opcode == OP_LOAD_WEIGHTS;
    assign drain_capture = state == S_DRAIN && remaining == ROW_COUNT;
    assign drain_shift   = state == S_DRAIN && remaining != ROW_COUNT;

    assign writer_start      = decoding && opcode == OP_STREAM;
    assign writer_descending = mode_os_q;
    assign writer_start_addr = mode_os_q ? field_c + ROW_COUNT - ONE : field_c;

    assign sfp_cmd_valid    = state == S_SFP;
    assign sfp_cmd_base     = sfp_base_q;
    assign sfp_cmd_out_addr = sfp_out_addr_q;
    assign sfp_cmd_relu     = sfp_relu_q;

    assign done = state == S_DONE;
    assign busy = state != S_IDLE && state != S_DONE;

    always @(posedge clk) begin
        if (rst) begin
            state             <= S_IDLE;
            pc                <= {ADDR_BITS{1'b0}};
            remaining         <= {ADDR_BITS{1'b0}};
            drained           <= 1'b0;
            sfp_phase         <= 1'b0;
            mode_os_q         <= 1'b0;
            bad_instruction   <= 1'b0;
            perf_array_cycles <= 32'd0;
            perf_sfp_cycles   <= 32'd0;
            act_rd_addr       <= {ADDR_BITS{1'b0}};
            wgt_rd_addr       <= {ADDR_BITS{1'b0}};
            act_word_valid    <= 1'b0;
            wgt_word_valid    <= 1'b0;
            sfp_count0        <= {ADDR_BITS{1'b0}};
            sfp_count1        <= {ADDR_BITS{1'b0}};
            sfp_count2        <= {ADDR_BITS{1'b0}};
            sfp_stride0       <= {ADDR_BITS{1'b0}};
            sfp_stride1       <= {ADDR_BITS{1'b0}};
            sfp_stride2       <= {ADDR_BITS{1'b0}};
            sfp_base_q        <= {ADDR_BITS{1'b0}};
            sfp_out_addr_q    <= {ADDR_BITS{1'b0}};
            sfp_relu_q        <= 1'b0;
        end else begin
            act_word_valid <= act_rd_en;
            wgt_word_valid <= wgt_rd_en;
            if (busy) begin
                if (sfp_phase) begin
                    perf_sfp_cycles <= perf_sfp_cycles + 1'b1;
                end else begin
                    perf_array_cycles <= perf_array_cycles + 1'b1;
                end
            end
            case (state)
                S_IDLE, S_DONE: begin
                    if (start) begin
                        state             <= S_FETCH;
                        pc                <= {ADDR_BITS{1'b0}};
                        mode_os_q         <= mode_os;
                        sfp_phase         <= 1'b0;
                        bad_instruction   <= 1'b0;
                        perf_array_cycles <= 32'd0;
                        perf_sfp_cycles   <= 32'd0;
                    end
                end
                S_FETCH: begin
                    state <= S_DECODE;
                end
                S_DECODE: begin
                    case (opcode)
                        OP_HALT: begin
                            state <= S_FINISH;
                        end
                        OP_LOAD_WEIGHTS: begin
                            if (mode_os_q) begin
                                bad_instruction <= 1'b1;
                                state           <= S_FINISH;
                            end else begin
                                wgt_rd_addr <= field_a;
                                remaining   <= ROW_COUNT;
                                state       <= S_LOAD;
                            end
                        end
                        OP_STREAM: begin
                            act_rd_addr <= field_a;
                            wgt_rd_addr <= field_b;
                            remaining   <= field_d;
                            drained     <= 1'b0;
                            state       <= field_d == {ADDR_BITS{1'b0}} ? S_SETTLE : S_STREAM;
                        end
                        OP_SFP_COUNTS: begin
                            sfp_phase  <= 1'b1;
                            sfp_count0 <= field_a;
                            sfp_count1 <= field_b;
                            sfp_count2 <= field_c;
                            pc         <= pc + 1'b1;
                            state      <= S_FETCH;
                        end
                        OP_SFP_STRIDES: begin
                            sfp_phase   <= 1'b1;
                            sfp_stride0 <= field_a;
                            sfp_stride1 <= field_b;
                            sfp_stride2 <= field_c;
                            pc          <= pc + 1'b1;
                            state       <= S_FETCH;
                        end
                        OP_SFP: begin
                            sfp_phase      <= 1'b1;
                            sfp_base_q     <= field_a;
                            sfp_out_addr_q <= field_c;
                            sfp_relu_q     <= relu;
                            state          <= S_SFP;
                        end
                        default: begin
                            bad_instruction <= 1'b1;
                            state           <= S_FINISH;
                        end
                    endcase
                end
                S_LOAD: begin
                    wgt_rd_addr <= wgt_rd_addr + 1'b1;
                    remaining   <= remaining - 1'b1;
                    if (remaining == ONE) begin
                        pc    <= pc + 1'b1;
                        state <= S_FETCH;
                    end
                end
                S_STREAM: begin
                    act_rd_addr <= act_rd_addr + 1'b1;
                    wgt_rd_addr <= wgt_rd_addr + 1'b1;
                    remaining   <= remaining - 1'b1;
                    if (remaining == ONE) begin
                        state <= S_SETTLE;
                    end
                end
                S_SETTLE: begin
                    if (!datapath_busy) begin
                        if (mode_os_q && !drained) begin
                            remaining <= ROW_COUNT;
                            state     <= S_DRAIN;
                        end else begin
                            pc    <= pc + 1'b1;
                            state <= S_FETCH;
                        end
                    end
                end
                S_DRAIN: begin
                    remaining <= remaining - 1'b1;
                    if (remaining == ONE) begin
                        drained <= 1'b1;
                        state   <= S_SETTLE;
                    end
                end
                S_SFP: begin
                    if (sfp_cmd_ready) begin
                        pc    <= pc + 1'b1;
                        state <= S_FETCH;
                    end
                end
                S_FINISH: begin
                    if (!datapath_busy) begin
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
