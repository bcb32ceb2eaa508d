// Test bench that runs a compiled layer program on the core with no Python per cycle
// (qaccel/rtl/bench_run.py writes its inputs and reads its outputs). For each run i < +runs:
//   0. before the first run, write the requantization constants (+const, +const_entries: one
//      {host address, data} entry per line) through the core's host port, as a host would;
//   1. reset the core; load the instruction and weight memories (+instr, +wgt; the same for every
//      run; +wgt may be left out when the DMA brings the weights) and the activation memory (+act
//      prefix, file <prefix><i>.hex), all $readmemh files; the DRAM (+dram, once) holds what the
//      core's DMA reads;
//   2. pulse start and count cycles until done, stopping at +max_cycles (the watchdog);
//   3. monitor: compare every row of partial sums that leaves the array with the expected stream
//      (<+expect prefix><i>.hex, +expect_rows rows), lane by lane;
//   4. read the first +acc_words accumulator words out through the host port, raw and with ReLU,
//      into <+acc_out prefix><i>.hex and <+relu_out prefix><i>.hex; write the words of levels the
//      core sent out (DRAIN) into <+level_out prefix><i>.hex;
//   5. append one line of `key value` pairs to +result: cycles, status flags, monitor counts, the
//      first mismatch, on a timeout where the controller stood, and the run's event counts (the
//      energy model's inputs, qaccel/hw/energy.py): each memory port's accesses while the core
//      runs, the accumulator's adds. With +layer_out, <prefix><i>.txt gets the same counts (and
//      perf_cycles) as they stand at the end of each DRAIN: a program of several layers is split
//      into its layers by them.
// Before the first run the accumulator memory is filled with a pattern, as an SRAM holds garbage at
// power-up: a sum that is never started or never written does not read back as a plausible zero.
//
// DRAM model (the core's DMA port): one request at a time; its first beat arrives +dram_latency
// cycles (default 100) after the request is taken, then beats arrive at +dram_bits_per_cycle (default
// 128: 16 bytes) on average, at most one beat per cycle. The counts gain the beats read
// (dram_beats), the cycles the sequencer waited for a tile's weights (dma_stalls), and the DMA's
// writes of weight beats and of lanes' constants (dma_weight_beats, dma_const_beats).
//
// Built with Verilator the clock comes from the C++ main (layer_bench_main.cpp); with
// QACCEL_SELF_CLOCK defined (Icarus) the bench makes its own.
module layer_bench #(
    parameter ROWS            = 8,
    parameter COLS            = 8,
    parameter ACT_BITS        = 8,
    parameter ACT_SIGNED      = 1,
    parameter WGT_BITS        = 4,
    parameter PSUM_BITS       = 32,
    parameter INSTR_ADDR_BITS = 4,
    parameter ACT_ADDR_BITS   = 10,
    parameter ACT_WORDS       = 1 << ACT_ADDR_BITS,
    parameter WGT_ADDR_BITS   = 10,
    parameter ACC_ADDR_BITS   = 10,
    parameter MULT_BITS       = 24,
    parameter LEVEL_BITS      = 16,
    parameter CONST_ADDR_BITS = 6,
    parameter EXPECT_ADDR_BITS = 10,
    parameter LEVEL_ADDR_BITS = ACC_ADDR_BITS,  // the words of levels a run's DRAINs may send
    parameter DRAM_ADDR_BITS  = 1               // the DRAM's beats
) (
`ifndef QACCEL_SELF_CLOCK
    input clk
`endif
);
`ifdef QACCEL_SELF_CLOCK
    reg clk = 1'b0;
    always #5 clk = ~clk;
`endif
    localparam ROW_WORD  = COLS * PSUM_BITS;
    localparam LEVEL_WORD = COLS * LEVEL_BITS;
    // The core's host write port widths (its derived parameters); this bench loads the memories
    // directly and writes the constants through the port.
    localparam LANE_BITS = (COLS > 1) ? $clog2(COLS) : 1;
    localparam MEMORY_ADDR_BITS = (ACT_ADDR_BITS > WGT_ADDR_BITS)
                                ? (ACT_ADDR_BITS > INSTR_ADDR_BITS ? ACT_ADDR_BITS : INSTR_ADDR_BITS)
                                : (WGT_ADDR_BITS > INSTR_ADDR_BITS ? WGT_ADDR_BITS : INSTR_ADDR_BITS);
    localparam HOST_ADDR_BITS = (MEMORY_ADDR_BITS > CONST_ADDR_BITS + LANE_BITS)
                              ? MEMORY_ADDR_BITS : CONST_ADDR_BITS + LANE_BITS;
    localparam CONST_BITS  = 6 + PSUM_BITS + MULT_BITS + MULT_BITS;  // {S, B_c, M_c}
    localparam CONST_ENTRIES = 1 << (CONST_ADDR_BITS + LANE_BITS);
    localparam HOST_DATA_BITS = (ROWS*ACT_BITS > COLS*WGT_BITS)
                              ? (ROWS*ACT_BITS > 256 ? ROWS*ACT_BITS : 256)
                              : (COLS*WGT_BITS > 256 ? COLS*WGT_BITS : 256);
    // The core's weight and DRAM beats (its derived parameters).
    localparam WEIGHT_WORDS_LOG2 = (COLS*WGT_BITS >= 128) ? 0 : $clog2(128 / (COLS*WGT_BITS) + 1) - 1;
    localparam WEIGHT_BEAT_BITS  = (1 << WEIGHT_WORDS_LOG2) * COLS*WGT_BITS;
    localparam DRAM_BEAT_BITS    = (WEIGHT_BEAT_BITS > CONST_BITS) ? WEIGHT_BEAT_BITS : CONST_BITS;
    localparam ACC_WORDS = 1 << ACC_ADDR_BITS;
    localparam LEVEL_WORDS = 1 << LEVEL_ADDR_BITS;
    localparam RESET_CYCLES = 3;
    localparam [31:0] FILL_PATTERN = 32'hA5C3_96E1;

    localparam S_LOAD   = 3'd0;
    localparam S_RESET  = 3'd1;
    localparam S_START  = 3'd2;
    localparam S_RUN    = 3'd3;
    localparam S_READ   = 3'd4;
    localparam S_REPORT = 3'd5;
    localparam S_CONST  = 3'd6;

    reg                        rst;
    reg                        start;
    reg                        host_wr_en;
    reg  [HOST_ADDR_BITS-1:0]  host_wr_addr;
    reg  [HOST_DATA_BITS-1:0]  host_wr_data;
    reg                        host_rd_en;
    reg                        host_rd_relu;
    reg  [ACC_ADDR_BITS-1:0]   host_rd_addr;
    wire                       done, busy, bad_instruction, fifo_overflow, acc_overflow;
    wire [31:0]                perf_cycles;
    wire [2:0]                 dbg_state;
    wire [INSTR_ADDR_BITS-1:0] dbg_pc;
    wire [31:0]                dbg_fold;
    wire [ROW_WORD-1:0]        host_rd_data;
    wire                       psum_row_valid;
    wire [ROW_WORD-1:0]        psum_row;
    wire                       level_valid;
    wire [LEVEL_WORD-1:0]      level_data;
    wire                       dram_req_valid;
    wire [31:0]                dram_req_addr;
    wire [23:0]                dram_req_beats;
    reg                        dram_busy;      // serving a request
    reg                        dram_rsp_valid;
    reg  [DRAM_BEAT_BITS-1:0]  dram_rsp_data;

    core #(
        .ROWS           (ROWS),
        .COLS           (COLS),
        .ACT_BITS       (ACT_BITS),
        .ACT_SIGNED     (ACT_SIGNED),
        .WGT_BITS       (WGT_BITS),
        .PSUM_BITS      (PSUM_BITS),
        .INSTR_ADDR_BITS(INSTR_ADDR_BITS),
        .ACT_ADDR_BITS  (ACT_ADDR_BITS),
        .ACT_WORDS      (ACT_WORDS),
        .WGT_ADDR_BITS  (WGT_ADDR_BITS),
        .ACC_ADDR_BITS  (ACC_ADDR_BITS),
        .MULT_BITS      (MULT_BITS),
        .LEVEL_BITS     (LEVEL_BITS),
        .CONST_ADDR_BITS(CONST_ADDR_BITS)
    ) dut (
        .clk            (clk),
        .rst            (rst),
        .start          (start),
        .done           (done),
        .busy           (busy),
        .bad_instruction(bad_instruction),
        .fifo_overflow  (fifo_overflow),
        .acc_overflow   (acc_overflow),
        .perf_cycles    (perf_cycles),
        .dbg_state      (dbg_state),
        .dbg_pc         (dbg_pc),
        .dbg_fold       (dbg_fold),
        .host_wr_en     (host_wr_en),
        .host_wr_sel    (2'd3),  // the constants: the bench loads the other memories directly
        .host_wr_addr   (host_wr_addr),
        .host_wr_data   (host_wr_data),
        .host_rd_en     (host_rd_en),
        .host_rd_relu   (host_rd_relu),
        .host_rd_addr   (host_rd_addr),
        .host_rd_data   (host_rd_data),
        .psum_row_valid (psum_row_valid),
        .psum_row       (psum_row),
        .level_valid    (level_valid),
        .level_data     (level_data),
        .dram_req_valid (dram_req_valid),
        .dram_req_ready (!dram_busy),
        .dram_req_addr  (dram_req_addr),
        .dram_req_beats (dram_req_beats),
        .dram_rsp_valid (dram_rsp_valid),
        .dram_rsp_data  (dram_rsp_data)
    );

    // DRAM
    reg [DRAM_BEAT_BITS-1:0] dram [0:(1<<DRAM_ADDR_BITS)-1];
    reg [8*512-1:0]          dram_file;
    integer                  dram_latency, dram_bits_per_cycle, dram_wait, dram_credit, dram_left, dram_next;
    always @(posedge clk) begin
        dram_rsp_valid <= 1'b0;
        if (rst) begin
            dram_busy <= 1'b0;
        end else if (!dram_busy) begin
            if (dram_req_valid) begin
                dram_busy   <= dram_req_beats != 24'd0;
                dram_next   <= dram_req_addr;
                dram_left   <= dram_req_beats;
                dram_wait   <= dram_latency;
                dram_credit <= 0;
            end
        end else if (dram_wait > 0) begin
            dram_wait <= dram_wait - 1;
        end else if (dram_credit + dram_bits_per_cycle >= DRAM_BEAT_BITS) begin
            // A beat beyond the memory is unknown (X), not a wrap onto another address.
            dram_rsp_valid <= 1'b1;
            dram_rsp_data  <= dram_next < (1 << DRAM_ADDR_BITS) ? dram[dram_next] : {DRAM_BEAT_BITS{1'bx}};
            dram_next      <= dram_next + 1;
            dram_left      <= dram_left - 1;
            dram_busy      <= dram_left > 1;
            dram_credit    <= dram_credit + dram_bits_per_cycle - DRAM_BEAT_BITS >= DRAM_BEAT_BITS
                              ? 0 : dram_credit + dram_bits_per_cycle - DRAM_BEAT_BITS;
        end else begin
            dram_credit <= dram_credit + dram_bits_per_cycle;
        end
    end

    // Plusargs
    reg [8*512-1:0] instr_file, wgt_file, act_prefix, expect_prefix, acc_prefix, relu_prefix, result_file;
    reg [8*512-1:0] const_file, level_prefix, layer_prefix;
    reg [8*512-1:0] file_name;
    integer runs, max_cycles, acc_words, expect_rows, const_entries;
    reg     monitor_on, dump_acc, dump_relu, dump_levels, dump_layers;
    reg     drain_ended;  // the controller left a DRAIN on the cycle before

    reg [HOST_ADDR_BITS+CONST_BITS-1:0] constants [0:CONST_ENTRIES-1];
    reg [LEVEL_WORD-1:0] level_dump [0:LEVEL_WORDS-1];
    integer levels;

    reg [ROW_WORD-1:0] expected [0:(1<<EXPECT_ADDR_BITS)-1];
    reg [ROW_WORD-1:0] raw_dump [0:ACC_WORDS-1];
    reg [ROW_WORD-1:0] relu_dump [0:ACC_WORDS-1];

    reg [2:0] state;
    integer   run, counter, cycles, address, result_fd, layer_fd, lane;
    // event counts of the run (see the counters below)
    integer   instr_reads, act_steps, act_reads, wgt_reads, acc_reads, acc_writes, acc_add_rows, requant_words, const_reads;
    integer   dram_beats, dma_stalls, dma_weight_beats, dma_const_beats;
    reg       timed_out, relu_pass;
    // monitor
    integer   rows, mismatches, first_row, first_lane;
    reg [PSUM_BITS-1:0] first_expected, first_got;

    initial begin
        if (!$value$plusargs("instr=%s", instr_file)
            || !$value$plusargs("act=%s", act_prefix) || !$value$plusargs("result=%s", result_file)
            || !$value$plusargs("max_cycles=%d", max_cycles)) begin
            $display("layer_bench: needs +instr= +act= +result= +max_cycles=");
            $finish;
        end
        if (!$value$plusargs("dram_latency=%d", dram_latency)) dram_latency = 100;
        if (!$value$plusargs("dram_bits_per_cycle=%d", dram_bits_per_cycle)) dram_bits_per_cycle = 128;
        if (dram_latency < 0 || dram_bits_per_cycle < 1) begin
            $display("layer_bench: +dram_latency must be at least 0 and +dram_bits_per_cycle at least 1");
            $finish;
        end
        if ($value$plusargs("dram=%s", dram_file)) $readmemh(dram_file, dram);
        if (!$value$plusargs("runs=%d", runs)) runs = 1;
        if (!$value$plusargs("acc_words=%d", acc_words)) acc_words = 0;
        monitor_on = $value$plusargs("expect=%s", expect_prefix);
        if (!$value$plusargs("expect_rows=%d", expect_rows)) expect_rows = 0;
        dump_acc  = $value$plusargs("acc_out=%s", acc_prefix);
        dump_relu = $value$plusargs("relu_out=%s", relu_prefix);
        dump_levels = $value$plusargs("level_out=%s", level_prefix);
        dump_layers = $value$plusargs("layer_out=%s", layer_prefix);
        if (!$value$plusargs("const_entries=%d", const_entries)) const_entries = 0;
        if (acc_words > ACC_WORDS || expect_rows > (1 << EXPECT_ADDR_BITS) || const_entries > CONST_ENTRIES) begin
            $display("layer_bench: +acc_words, +expect_rows or +const_entries exceeds the bench's memories");
            $finish;
        end
        if (const_entries > 0) begin
            if (!$value$plusargs("const=%s", const_file)) begin
                $display("layer_bench: +const_entries needs +const=");
                $finish;
            end
            $readmemh(const_file, constants, 0, const_entries - 1);
        end
        result_fd = $fopen(result_file, "w");
        for (address = 0; address < ACC_WORDS / 2; address = address + 1) begin
            dut.u_accumulator.g_bank[0].u_mem.mem[address] = {(ROW_WORD + 31) / 32 {FILL_PATTERN}};
            dut.u_accumulator.g_bank[1].u_mem.mem[address] = {(ROW_WORD + 31) / 32 {FILL_PATTERN}};
        end
        $readmemh(instr_file, dut.u_instr_mem.mem);
        if ($value$plusargs("wgt=%s", wgt_file)) $readmemh(wgt_file, dut.u_wgt_mem.mem);
        run   = 0;
        counter = 0;
        state = S_CONST;
        rst   = 1'b1;
        host_wr_en   = 1'b0;
        host_wr_addr = {HOST_ADDR_BITS{1'b0}};
        host_wr_data = {HOST_DATA_BITS{1'b0}};
        start = 1'b0;
        host_rd_en   = 1'b0;
        host_rd_relu = 1'b0;
        host_rd_addr = {ACC_ADDR_BITS{1'b0}};
    end

    always @(posedge clk) begin
        case (state)
            S_CONST: begin
                // One entry per cycle, then the runs (the memories hold them across resets).
                host_wr_en <= counter < const_entries;
                if (counter < const_entries) begin
                    host_wr_addr <= constants[counter][CONST_BITS +: HOST_ADDR_BITS];
                    host_wr_data <= {{(HOST_DATA_BITS-CONST_BITS){1'b0}}, constants[counter][CONST_BITS-1:0]};
                    counter      <= counter + 1;
                end else begin
                    state <= S_LOAD;
                end
            end
            S_LOAD: begin
                $sformat(file_name, "%0s%0d.hex", act_prefix, run);
                $readmemh(file_name, dut.u_act_mem.mem);
                if (monitor_on) begin
                    $sformat(file_name, "%0s%0d.hex", expect_prefix, run);
                    $readmemh(file_name, expected, 0, expect_rows - 1);
                end
                rst     <= 1'b1;
                counter <= 0;
                state   <= S_RESET;
            end
            S_RESET: begin
                counter <= counter + 1;
                if (counter == RESET_CYCLES) begin
                    rst   <= 1'b0;
                    state <= S_START;
                end
            end
            S_START: begin
                start     <= 1'b1;
                cycles    <= 0;
                timed_out <= 1'b0;
                state     <= S_RUN;
                drain_ended <= 1'b0;
                if (dump_layers) begin
                    $sformat(file_name, "%0s%0d.txt", layer_prefix, run);
                    layer_fd = $fopen(file_name, "w");
                end
            end
            S_RUN: begin
                start  <= 1'b0;
                cycles <= cycles + 1;
                // The controller leaves a DRAIN (S_DRAIN, the read-out idle): on the next cycle the counts
                // (registered) include the DRAIN's last cycle.
                drain_ended <= dut.u_controller.state == 3'd6 && !dut.readout_busy;
                if (dump_layers && drain_ended) begin
                    $fdisplay(layer_fd, "perf_cycles %0d instr_reads %0d act_steps %0d act_reads %0d wgt_reads %0d acc_reads %0d acc_writes %0d acc_add_rows %0d requant_words %0d const_reads %0d levels %0d dram_beats %0d dma_stalls %0d dma_weight_beats %0d dma_const_beats %0d",
                              perf_cycles, instr_reads, act_steps, act_reads, wgt_reads, acc_reads, acc_writes,
                              acc_add_rows, requant_words, const_reads, levels, dram_beats, dma_stalls, dma_weight_beats,
                              dma_const_beats);
                end
                if (done && !start) begin
                    counter   <= 0;
                    relu_pass <= 1'b0;
                    state     <= (dump_acc || dump_relu) && acc_words > 0 ? S_READ : S_REPORT;
                end else if (cycles >= max_cycles) begin
                    timed_out <= 1'b1;
                    state     <= S_REPORT;
                end
            end
            S_READ: begin
                // Address `counter` is issued now; its data shows one cycle later.
                host_rd_en   <= counter < acc_words;
                host_rd_relu <= relu_pass;
                host_rd_addr <= counter[ACC_ADDR_BITS-1:0];
                counter      <= counter + 1;
                if (counter >= 2) begin
                    if (relu_pass) relu_dump[counter - 2] <= host_rd_data;
                    else raw_dump[counter - 2] <= host_rd_data;
                end
                if (counter == acc_words + 1) begin
                    counter <= 0;
                    if (!relu_pass && dump_relu) begin
                        relu_pass <= 1'b1;
                    end else begin
                        state <= S_REPORT;
                    end
                end
            end
            S_REPORT: begin
                if (dump_layers) begin
                    $fclose(layer_fd);
                end
                if (dump_acc && !timed_out && acc_words > 0) begin
                    $sformat(file_name, "%0s%0d.hex", acc_prefix, run);
                    $writememh(file_name, raw_dump, 0, acc_words - 1);
                end
                if (dump_relu && !timed_out && acc_words > 0) begin
                    $sformat(file_name, "%0s%0d.hex", relu_prefix, run);
                    $writememh(file_name, relu_dump, 0, acc_words - 1);
                end
                if (dump_levels && !timed_out && levels > 0) begin
                    $sformat(file_name, "%0s%0d.hex", level_prefix, run);
                    $writememh(file_name, level_dump, 0, levels - 1);
                end
                $fdisplay(result_fd, "run %0d cycles %0d perf_cycles %0d done %0d timeout %0d bad_instruction %0d fifo_overflow %0d acc_overflow %0d rows %0d mismatches %0d first_row %0d first_lane %0d first_expected %0h first_got %0h state %0d pc %0d fold %0d instr_reads %0d act_steps %0d act_reads %0d wgt_reads %0d acc_reads %0d acc_writes %0d acc_add_rows %0d requant_words %0d const_reads %0d levels %0d dram_beats %0d dma_stalls %0d dma_weight_beats %0d dma_const_beats %0d",
                          run, cycles, perf_cycles, done, timed_out, bad_instruction, fifo_overflow,
                          acc_overflow, rows, mismatches, first_row,
                          first_lane, first_expected, first_got, dbg_state, dbg_pc, dbg_fold,
                          instr_reads, act_steps, act_reads, wgt_reads, acc_reads, acc_writes, acc_add_rows,
                          requant_words, const_reads, levels, dram_beats, dma_stalls, dma_weight_beats,
                          dma_const_beats);
                $fflush(result_fd);
                run <= run + 1;
                if (timed_out || run + 1 == runs) begin
                    $fclose(result_fd);
                    $finish;
                end
                state <= S_LOAD;
            end
            default: state <= S_LOAD;
        endcase
    end

    // Event counters, by reference into the core (so the core carries no counters of its own), while
    // it runs: each memory port's enables, the accumulator's read-modify-write adds (a row of
    // COLS lanes each), the words the read-out requantizes and the levels it sends. Every activation
    // step enters all ROWS lanes of the array and passes every PE of its row: act_steps x ROWS x COLS
    // multiply-adds. A step whose tap lies in the zero padding reads no word (act_reads).
    always @(posedge clk) begin
        if (state == S_LOAD) begin
            instr_reads  <= 0;
            act_steps    <= 0;
            act_reads    <= 0;
            wgt_reads    <= 0;
            acc_reads    <= 0;
            acc_writes   <= 0;
            acc_add_rows <= 0;
            requant_words <= 0;
            const_reads  <= 0;
            levels       <= 0;
            dram_beats   <= 0;
            dma_stalls   <= 0;
            dma_weight_beats <= 0;
            dma_const_beats  <= 0;
        end else if (state == S_RUN) begin
            dram_beats   <= dram_beats + dram_rsp_valid;
            dma_weight_beats <= dma_weight_beats + dut.dma_wgt_wr_en;
            dma_const_beats  <= dma_const_beats + dut.dma_const_wr_en;
            // the sequencer holds for a tile whose weights have not arrived
            dma_stalls   <= dma_stalls + (dut.u_sequencer.state == 3'd3 && dut.u_sequencer.dma
                                          && !dut.u_sequencer.tile_ready);
            instr_reads  <= instr_reads + dut.instr_rd_en;
            act_steps    <= act_steps + dut.act_step;
            act_reads    <= act_reads + dut.act_rd_en;
            wgt_reads    <= wgt_reads + dut.wgt_rd_en;
            acc_reads    <= acc_reads + dut.u_accumulator.bank_reads[0] + dut.u_accumulator.bank_reads[1];
            acc_writes   <= acc_writes + dut.u_accumulator.write_en;
            acc_add_rows <= acc_add_rows + dut.u_accumulator.add_valid;
            requant_words <= requant_words + dut.u_readout.word_valid;
            // every lane's constant memory is read for each word
            const_reads  <= const_reads + (dut.u_readout.word_valid ? COLS : 0);
            if (level_valid) begin
                // The levels leave in order; more than the bench holds is an error, not a wrap.
                if (levels < LEVEL_WORDS) level_dump[levels] <= level_data;
                levels <= levels + 1;
            end
        end
    end

    // Monitor: every row of partial sums that leaves the array, lane by lane; the first mismatch
    // in file order (lowest row, then lowest lane = the line's rightmost field).
    integer row_mismatches, row_first_lane;
    always @(posedge clk) begin
        if (state == S_LOAD) begin
            rows           <= 0;
            mismatches     <= 0;
            first_row      <= -1;
            first_lane     <= -1;
            first_expected <= {PSUM_BITS{1'b0}};
            first_got      <= {PSUM_BITS{1'b0}};
        end else if (monitor_on && state == S_RUN && psum_row_valid) begin
            row_mismatches = 0;
            row_first_lane = -1;
            for (lane = COLS - 1; lane >= 0; lane = lane - 1) begin
                if (rows >= expect_rows
                    || psum_row[lane*PSUM_BITS +: PSUM_BITS] !== expected[rows][lane*PSUM_BITS +: PSUM_BITS]) begin
                    row_mismatches = row_mismatches + 1;
                    row_first_lane = lane;
                end
            end
            rows       <= rows + 1;
            mismatches <= mismatches + row_mismatches;
            if (first_row < 0 && row_mismatches > 0) begin
                first_row      <= rows;
                first_lane     <= row_first_lane;
                first_expected <= rows < expect_rows ? expected[rows][row_first_lane*PSUM_BITS +: PSUM_BITS]
                                                     : {PSUM_BITS{1'b0}};
                first_got      <= psum_row[row_first_lane*PSUM_BITS +: PSUM_BITS];
            end
        end
    end
endmodule
