// core_tb: a plain Verilog test bench for one layer, in the course's core_tb.v style (no cocotb,
// no Python). Run it in a layer's vector folder (results/layer27/ws, ...): it reads the vector
// files of shared/FORMATS.md by name, as the seed's consumers do (three `$fscanf("%s")` for the
// header lines, then one `$fscanf("%b")` per line), and
//   1. loads the core's instruction, activation and weight memories through its host port,
//      the RUN instruction built here from the layer's shape (rtl/README.md, "Instruction set");
//   2. pulses start and waits for done, at most +max_cycles cycles;
//   3. reads the accumulator back through the host port (ReLU'd when +relu=1) and compares every
//      line of out.txt, field by field.
// It prints "core_tb PASS: ... cycles N" and finishes, or prints "core_tb FAIL: ..." lines (the
// file, line and field, expected and got) and stops with $fatal: then both Icarus's vvp and a
// binary built by Verilator (--binary) exit with status 1.
//
// Plusargs (defaults: layer 27 in WS with the seed's file widths), named as in manifest.json:
//   +dataflow=ws|os  +height=H  +width=W  +in_channels=CIN  +out_channels=COUT  +relu=0|1
//   the vector files' field widths: +act_bits=4 +act_signed=0 +weight_bits=4 +psum_bits=16
//   the array they were tiled for, checked against ROWS and COLS: +rows=R +cols=C
//   +max_cycles=N (default: a bound far above the layer's cycle count)
// The files' fields are widened into the core's lanes (sign- or zero-extended); a value that does
// not fit a lane is an error naming its file, line and field.
//
// Memories hold one word per lane group (rtl/README.md, "Memories and word layouts"). The core reads
// the map unpadded and pads (and for OS gathers the im2col) by addressing, so the bench loads the map:
//   WS  activation  in_tile*H*W + o      <- activation{_ict}.txt line t of the interior position
//                                           t = (y+1)(W+2) + x+1 of pixel o = y*W + x (the padding
//                                           lines must hold zeros)
//       weight      fold*ROWS + r        <- weight_kij{k}{_ict}{_oct}.txt field r of every line
//                                           (line c = column c), fold = (out_tile*n_in + in_tile)*9 + k
//   OS  activation  in_tile*H*W + o, lane ic % ROWS <- activation_os_ic{ic}{_pxt}.txt line 4 (the
//                                           centre tap), field o - pxt*ROWS
//       weight      out_tile*S + (in_tile*9 + k)*ROWS + ic % ROWS <- weight_os_ic{ic}{_oct}.txt line k,
//                                           S = in_tiles*9*ROWS (zero for channels past CIN)
//   accumulator     out_tile*H*W + o     -> out.txt line o, fields out_tile*COLS .. +COLS-1
// A suffix (_ict1, _oct0, _pxt1) appears only along a dimension with more than one tile.
module core_tb;
    // The core (rtl/core.v); the defaults are the pipeline's core with memories for layer 27.
    parameter ROWS          = 8;
    parameter COLS          = 8;
    parameter ACT_BITS      = 8;
    parameter ACT_SIGNED    = 1;
    parameter WGT_BITS      = 4;
    parameter PSUM_BITS     = 32;
    parameter ACT_ADDR_BITS = 10;
    parameter WGT_ADDR_BITS = 10;
    parameter ACC_ADDR_BITS = 10;
    // The longest vector file line this bench reads (out.txt: COUT fields).
    parameter LINE_BITS     = 16384;

    localparam INSTR_ADDR_BITS = 4;
    localparam INSTR_BITS      = 256;
    localparam FIELD_BITS      = 24;   // a descriptor field
    localparam FIELD_OFFSET    = 8;
    localparam KIJ             = 9;
    localparam WGT_WORD        = COLS * WGT_BITS;
    localparam ACT_WORD        = ROWS * ACT_BITS;
    localparam ACC_WORD        = COLS * PSUM_BITS;
    localparam MAX_REPORTED    = 10;   // mismatches printed one by one
    // The core's host port widths (its derived parameters).
    localparam HOST_ADDR_BITS = (ACT_ADDR_BITS > WGT_ADDR_BITS)
                              ? (ACT_ADDR_BITS > INSTR_ADDR_BITS ? ACT_ADDR_BITS : INSTR_ADDR_BITS)
                              : (WGT_ADDR_BITS > INSTR_ADDR_BITS ? WGT_ADDR_BITS : INSTR_ADDR_BITS);
    localparam HOST_DATA_BITS = (ROWS*ACT_BITS > COLS*WGT_BITS)
                              ? (ROWS*ACT_BITS > 256 ? ROWS*ACT_BITS : 256)
                              : (COLS*WGT_BITS > 256 ? COLS*WGT_BITS : 256);
    localparam [1:0] SEL_INSTR = 2'd0;
    localparam [1:0] SEL_ACT   = 2'd1;
    localparam [1:0] SEL_WGT   = 2'd2;
    // The core's weight memory holds beats of 2^WEIGHT_WORDS_LOG2 words (its derived parameter): the
    // bench keeps the beats it wrote and writes a word as its whole beat.
    localparam WEIGHT_WORDS_LOG2 = (WGT_WORD >= 128) ? 0 : $clog2(128 / WGT_WORD + 1) - 1;
    localparam WEIGHT_BEAT_BITS  = (1 << WEIGHT_WORDS_LOG2) * WGT_WORD;
    // the core's DRAM beat, its MULT_BITS at the default 24 (unused here: no DMA)
    localparam DRAM_BEAT_BITS    = (WEIGHT_BEAT_BITS > 6 + PSUM_BITS + 48) ? WEIGHT_BEAT_BITS : 6 + PSUM_BITS + 48;
    /* verilator lint_off UNUSEDSIGNAL */
    wire        dram_req_valid;
    wire [31:0] dram_req_addr;
    wire [23:0] dram_req_beats;
    /* verilator lint_on UNUSEDSIGNAL */
    localparam [3:0] OP_HALT   = 4'd0;
    localparam [3:0] OP_RUN_WS = 4'd1;
    localparam [3:0] OP_RUN_OS = 4'd2;

    reg clk;
    initial clk = 1'b0;
    always #5 clk = ~clk;

    reg                       rst, start;
    reg                       host_wr_en;
    reg  [1:0]                host_wr_sel;
    reg  [HOST_ADDR_BITS-1:0] host_wr_addr;
    reg  [HOST_DATA_BITS-1:0] host_wr_data;
    reg                       host_rd_en, host_rd_relu;
    reg  [ACC_ADDR_BITS-1:0]  host_rd_addr;
    wire [ACC_WORD-1:0]       host_rd_data;
    wire                      done, bad_instruction, fifo_overflow, acc_overflow;
    wire [31:0]               perf_cycles;
    wire [2:0]                dbg_state;
    wire [INSTR_ADDR_BITS-1:0] dbg_pc;
    wire [31:0]               dbg_fold;
    // busy and the rows of partial sums leaving the array (for monitors) are not used here.
    /* verilator lint_off UNUSEDSIGNAL */
    wire                      busy;
    wire                      psum_row_valid;
    wire [ACC_WORD-1:0]       psum_row;
    // The read-out's levels (a DRAIN): a one-layer program of the course's flow has none.
    wire                      level_valid;
    wire [COLS*16-1:0]        level_data;  // the core's default LEVEL_BITS
    /* verilator lint_on UNUSEDSIGNAL */

    core #(
        .ROWS           (ROWS),
        .COLS           (COLS),
        .ACT_BITS       (ACT_BITS),
        .ACT_SIGNED     (ACT_SIGNED),
        .WGT_BITS       (WGT_BITS),
        .PSUM_BITS      (PSUM_BITS),
        .INSTR_ADDR_BITS(INSTR_ADDR_BITS),
        .ACT_ADDR_BITS  (ACT_ADDR_BITS),
        .WGT_ADDR_BITS  (WGT_ADDR_BITS),
        .ACC_ADDR_BITS  (ACC_ADDR_BITS)
    ) core_instance (
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
        .host_wr_sel    (host_wr_sel),
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
        // no DMA: a layer's weights are written through the host port
        .dram_req_valid (dram_req_valid),
        .dram_req_ready (1'b0),
        .dram_req_addr  (dram_req_addr),
        .dram_req_beats (dram_req_beats),
        .dram_rsp_valid (1'b0),
        .dram_rsp_data  ({DRAM_BEAT_BITS{1'b0}})
    );
    reg [WEIGHT_BEAT_BITS-1:0] weight_beats [0:(1 << (WGT_ADDR_BITS - WEIGHT_WORDS_LOG2))-1];
    integer beat_index;
    initial begin
        for (beat_index = 0; beat_index < (1 << (WGT_ADDR_BITS - WEIGHT_WORDS_LOG2)); beat_index = beat_index + 1)
            weight_beats[beat_index] = {WEIGHT_BEAT_BITS{1'b0}};
    end

    // The layer (plusargs)
    reg [8*2-1:0] dataflow;
    integer rows, cols, height, width, in_channels, out_channels, relu;
    integer act_bits, act_signed, weight_bits, psum_bits, max_cycles;
    // Derived: tiles, memory words, the cycle bound
    integer pixels, padded, steps, in_tiles, out_tiles, pixel_tiles, folds, act_words, wgt_words, acc_words;

    // Files
    reg [8*64-1:0]     file_name;
    /* verilator lint_off UNUSEDSIGNAL */
    reg [8*64-1:0]     header;  // a header line, skipped
    /* verilator lint_on UNUSEDSIGNAL */
    reg [LINE_BITS-1:0] line;
    integer            fd, line_index, code;
    reg [8*256-1:0]    message;

    // Loops and results
    integer ict, oct, pxt, ic, kij, t, r, c, o, y, x, cycles, mismatches, checked;
    reg [INSTR_BITS-1:0] instruction;
    reg [WGT_WORD-1:0]   wgt_word;
    reg [WGT_WORD-1:0]   fold_weights [0:ROWS-1];
    reg [ACT_WORD-1:0]   act_image [0:(1<<ACT_ADDR_BITS)-1];  // OS: the map, gathered lane by lane
    reg [ACC_WORD-1:0]   acc_word;
    reg signed [63:0]    value;
    reg [PSUM_BITS-1:0]  expected, got;

    // ---- failure and the vector files ----

    task fail(input [8*256-1:0] reason);
        begin
            $display("core_tb FAIL: %0s", reason);
            $fatal(1, "core_tb failed");
        end
    endtask

    // Open <file_name>.txt in the current directory and skip its three header lines.
    task open_vectors;
        begin
            $sformat(file_name, "%0s.txt", file_name);
            fd = $fopen(file_name, "r");
            if (fd == 0) begin
                $sformat(message, "cannot open %0s (run core_tb in the layer's vector folder)", file_name);
                fail(message);
            end
            for (line_index = 0; line_index < 3; line_index = line_index + 1) begin
                code = $fscanf(fd, "%s", header);
            end
            line_index = 0;
        end
    endtask

    // Read the next line, of `fields` fields of `bits` bits, into `line`.
    task read_line(input integer fields, input integer bits);
        begin
            code = $fscanf(fd, "%b", line);
            if (code != 1) begin
                $sformat(message, "%0s line %0d: missing, expected a line of %0d binary fields", file_name,
                         line_index + 4, fields);
                fail(message);
            end
            if ((line >> (fields * bits)) != 0) begin
                $sformat(message, "%0s line %0d: longer than %0d fields of %0d bits", file_name, line_index + 4,
                         fields, bits);
                fail(message);
            end
            line_index = line_index + 1;
        end
    endtask

    // Close the file; it must hold no more lines than were read.
    task close_vectors;
        begin
            if ($fscanf(fd, "%b", line) == 1) begin
                $sformat(message, "%0s: more than %0d lines after the header", file_name, line_index);
                fail(message);
            end
            $fclose(fd);
        end
    endtask

    // Field `index` (0 = rightmost) of `line`: `bits` wide, two's complement when `is_signed`.
    function signed [63:0] field_value(input [LINE_BITS-1:0] text, input integer index, input integer bits,
                                       input integer is_signed);
        /* verilator lint_off UNUSEDSIGNAL */
        reg [LINE_BITS-1:0] shifted;  // the field in the low bits
        /* verilator lint_on UNUSEDSIGNAL */
        reg [63:0]          raw;
        begin
            shifted = text >> (index * bits);
            raw = shifted[63:0];
            raw = raw & ((64'd1 << bits) - 64'd1);
            if (is_signed != 0 && raw[bits-1]) raw = raw | ~((64'd1 << bits) - 64'd1);
            field_value = raw;
        end
    endfunction

    // Whether `number` is a value of a `bits`-bit lane.
    function fits(input signed [63:0] number, input integer bits, input integer is_signed);
        begin
            if (is_signed != 0) fits = number >= -(64'sd1 <<< (bits - 1)) && number < (64'sd1 <<< (bits - 1));
            else fits = number >= 0 && number < (64'sd1 <<< bits);
        end
    endfunction

    // `value`, field `field` of the line just read, must fit the core's lane: no silent wrap.
    task check_fits(input integer field, input integer bits, input integer is_signed);
        begin
            if (!fits(value, bits, is_signed)) begin
                $sformat(message, "%0s line %0d field %0d: %0d does not fit the core's %0d-bit %0s lanes", file_name,
                         line_index + 3, field, value, bits, is_signed != 0 ? "signed" : "unsigned");
                fail(message);
            end
        end
    endtask

    // A tile suffix of qaccel/export/serialize.py (_ict1, _oct0, _pxt1) appended to file_name, only along a
    // dimension with more than one tile. Appending avoids formatting an empty suffix, which a
    // binary built by Verilator prints as a space.
    task add_suffix(input [8*3-1:0] tag, input integer index, input integer count);
        begin
            if (count > 1) $sformat(file_name, "%0s_%0s%0d", file_name, tag, index);
        end
    endtask

    // ---- the host port ----
    // Addresses arrive as integers; the port takes their low bits.
    /* verilator lint_off UNUSEDSIGNAL */

    task host_write(input [1:0] sel, input integer address, input [HOST_DATA_BITS-1:0] data);
        reg [WEIGHT_BEAT_BITS-1:0] beat;
        integer                    beat_address;
        begin
            @(negedge clk);
            host_wr_en   = 1'b1;
            host_wr_sel  = sel;
            host_wr_addr = address[HOST_ADDR_BITS-1:0];
            host_wr_data = data;
            if (sel == SEL_WGT) begin
                // weight word `address` is a word of its beat
                beat = weight_beats[address >> WEIGHT_WORDS_LOG2];
                beat[(address % (1 << WEIGHT_WORDS_LOG2)) * WGT_WORD +: WGT_WORD] = data[WGT_WORD-1:0];
                weight_beats[address >> WEIGHT_WORDS_LOG2] = beat;
                beat_address = address >> WEIGHT_WORDS_LOG2;
                host_wr_addr = beat_address[HOST_ADDR_BITS-1:0];
                host_wr_data = {{(HOST_DATA_BITS-WEIGHT_BEAT_BITS){1'b0}}, beat};
            end
            @(negedge clk);
            host_wr_en   = 1'b0;
        end
    endtask

    task host_read(input integer address);
        begin
            @(negedge clk);
            host_rd_en   = 1'b1;
            host_rd_relu = relu != 0;
            host_rd_addr = address[ACC_ADDR_BITS-1:0];
            @(negedge clk);  // the word arrives one cycle after the read
            host_rd_en   = 1'b0;
            acc_word     = host_rd_data;
        end
    endtask
    /* verilator lint_on UNUSEDSIGNAL */

    // A padding line of the WS map: the core pads by addressing, so it must hold zeros.
    task skip_padding_line(input integer fields, input integer bits);
        begin
            read_line(fields, bits);
            if (|line) begin
                $sformat(message, "%0s line %0d: zero padding of the map holds a non-zero field", file_name,
                         line_index + 3);
                fail(message);
            end
        end
    endtask

    task load_word(input [1:0] sel, input integer address, input integer fields, input integer file_bits,
                   input integer file_signed, input integer lane_bits, input integer lane_signed);
        reg [HOST_DATA_BITS-1:0] data;
        reg [63:0]               lane;
        integer                  field;
        begin
            read_line(fields, file_bits);
            data = {HOST_DATA_BITS{1'b0}};
            for (field = 0; field < fields; field = field + 1) begin
                value = field_value(line, field, file_bits, file_signed);
                check_fits(field, lane_bits, lane_signed);
                lane = value & ((64'd1 << lane_bits) - 64'd1);
                data = data | ({{(HOST_DATA_BITS-64){1'b0}}, lane} << (field * lane_bits));
            end
            host_write(sel, address, data);
        end
    endtask

    // ---- the layer ----

    task read_plusargs;
        begin
            if (!$value$plusargs("dataflow=%s", dataflow)) dataflow = "ws";
            if (!$value$plusargs("height=%d", height)) height = 4;
            if (!$value$plusargs("width=%d", width)) width = 4;
            if (!$value$plusargs("in_channels=%d", in_channels)) in_channels = 8;
            if (!$value$plusargs("out_channels=%d", out_channels)) out_channels = 8;
            if (!$value$plusargs("relu=%d", relu)) relu = 1;
            if (!$value$plusargs("act_bits=%d", act_bits)) act_bits = 4;
            if (!$value$plusargs("act_signed=%d", act_signed)) act_signed = 0;
            if (!$value$plusargs("weight_bits=%d", weight_bits)) weight_bits = 4;
            if (!$value$plusargs("psum_bits=%d", psum_bits)) psum_bits = 16;
            if (dataflow != "ws" && dataflow != "os") fail("+dataflow must be ws or os");
            // The array the files were tiled for (manifest.json "array"), when given.
            if (!$value$plusargs("rows=%d", rows)) rows = ROWS;
            if (!$value$plusargs("cols=%d", cols)) cols = COLS;
            if (rows != ROWS || cols != COLS) begin
                $sformat(message, "the vector files are tiled for a %0dx%0d array, the core is %0dx%0d (parameters ROWS, COLS)",
                         rows, cols, ROWS, COLS);
                fail(message);
            end
            pixels      = height * width;
            padded      = (height + 2) * (width + 2);
            in_tiles    = (in_channels + ROWS - 1) / ROWS;
            steps       = in_tiles * KIJ * ROWS;
            out_tiles   = (out_channels + COLS - 1) / COLS;
            pixel_tiles = (pixels + ROWS - 1) / ROWS;
            if (dataflow == "ws") begin
                folds     = in_tiles * out_tiles * KIJ;
                wgt_words = folds * ROWS;
            end else begin
                folds     = pixel_tiles * out_tiles;
                wgt_words = out_tiles * steps;
            end
            act_words = in_tiles * pixels;
            acc_words = out_tiles * pixels;
            // Each fold takes at most its streamed words plus ROWS cycles (rtl/README.md, "Timing").
            if (!$value$plusargs("max_cycles=%d", max_cycles))
                max_cycles = 2 * (folds * ((dataflow == "ws" ? pixels : steps) + ROWS) + 3 * ROWS + COLS + 16) + 1000;
            $display("core_tb: %0s, %0d -> %0d channels, %0dx%0d pixels, ReLU %0d; files: %0d-bit %0s activations, %0d-bit weights, %0d-bit outputs; core %0dx%0d",
                     dataflow, in_channels, out_channels, height, width, relu, act_bits,
                     act_signed != 0 ? "signed" : "unsigned", weight_bits, psum_bits, ROWS, COLS);
            if (act_words > (1 << ACT_ADDR_BITS) || wgt_words > (1 << WGT_ADDR_BITS)
                || acc_words > (1 << ACC_ADDR_BITS)) begin
                $sformat(message, "the layer needs %0d activation, %0d weight, %0d accumulator words; the core has %0d, %0d, %0d (parameters *_ADDR_BITS)",
                         act_words, wgt_words, acc_words, 1 << ACT_ADDR_BITS, 1 << WGT_ADDR_BITS, 1 << ACC_ADDR_BITS);
                fail(message);
            end
            if (out_channels * psum_bits > LINE_BITS) fail("out.txt lines are longer than LINE_BITS");
        end
    endtask

    // Descriptor field `index` (rtl/README.md: width, height, tile_pitch, in_tiles, out_tiles,
    // pixel_tiles, pixels, act_base, wgt_base, acc_base) of the RUN instruction.
    /* verilator lint_off UNUSEDSIGNAL */
    task set_field(input integer index, input integer field);
        begin
            instruction[FIELD_OFFSET + index*FIELD_BITS +: FIELD_BITS] = field[FIELD_BITS-1:0];
        end
    endtask
    /* verilator lint_on UNUSEDSIGNAL */

    // The program: RUN with the layer's descriptor, then HALT.
    task load_program;
        begin
            instruction = {INSTR_BITS{1'b0}};
            instruction[3:0] = dataflow == "ws" ? OP_RUN_WS : OP_RUN_OS;
            set_field(0, width);
            set_field(1, height);
            set_field(2, pixels);  // tile_pitch: words per input tile
            set_field(3, in_tiles);
            if (dataflow == "os") set_field(5, pixel_tiles);
            set_field(4, out_tiles);
            set_field(6, pixels);
            // act_base, wgt_base, acc_base (fields 7-9) stay 0: every memory is loaded from word 0.
            host_write(SEL_INSTR, 0, instruction);
            host_write(SEL_INSTR, 1, {{(HOST_DATA_BITS-4){1'b0}}, OP_HALT});
        end
    endtask

    task load_ws;
        begin
            for (ict = 0; ict < in_tiles; ict = ict + 1) begin
                file_name = "activation";
                add_suffix("ict", ict, in_tiles);
                open_vectors;
                for (t = 0; t < padded; t = t + 1) begin
                    y = t / (width + 2) - 1;
                    x = t % (width + 2) - 1;
                    if (y >= 0 && y < height && x >= 0 && x < width)
                        load_word(SEL_ACT, ict * pixels + y * width + x, ROWS, act_bits, act_signed, ACT_BITS,
                                  ACT_SIGNED);
                    else
                        skip_padding_line(ROWS, act_bits);
                end
                close_vectors;
            end
            for (ict = 0; ict < in_tiles; ict = ict + 1) begin
                for (oct = 0; oct < out_tiles; oct = oct + 1) begin
                    for (kij = 0; kij < KIJ; kij = kij + 1) begin
                        // Line c holds column c's weights, field r = row r; memory word r holds row r
                        // of every column.
                        $sformat(file_name, "weight_kij%0d", kij);
                        add_suffix("ict", ict, in_tiles);
                        add_suffix("oct", oct, out_tiles);
                        open_vectors;
                        for (r = 0; r < ROWS; r = r + 1) fold_weights[r] = {WGT_WORD{1'b0}};
                        for (c = 0; c < COLS; c = c + 1) begin
                            read_line(ROWS, weight_bits);
                            for (r = 0; r < ROWS; r = r + 1) begin
                                value = field_value(line, r, weight_bits, 1);
                                check_fits(r, WGT_BITS, 1);
                                wgt_word = fold_weights[r];
                                wgt_word[c*WGT_BITS +: WGT_BITS] = value[WGT_BITS-1:0];
                                fold_weights[r] = wgt_word;
                            end
                        end
                        close_vectors;
                        for (r = 0; r < ROWS; r = r + 1)
                            host_write(SEL_WGT, ((oct * in_tiles + ict) * KIJ + kij) * ROWS + r,
                                       {{(HOST_DATA_BITS-WGT_WORD){1'b0}}, fold_weights[r]});
                    end
                end
            end
        end
    endtask

    task load_os;
        begin
            for (t = 0; t < act_words; t = t + 1) act_image[t] = {ACT_WORD{1'b0}};
            for (pxt = 0; pxt < pixel_tiles; pxt = pxt + 1) begin
                for (ic = 0; ic < in_channels; ic = ic + 1) begin
                    $sformat(file_name, "activation_os_ic%0d", ic);
                    add_suffix("pxt", pxt, pixel_tiles);
                    open_vectors;
                    for (kij = 0; kij < KIJ; kij = kij + 1) begin
                        read_line(ROWS, act_bits);
                        // The centre tap is the map at the tile's pixels; the core gathers the others.
                        for (r = 0; kij == KIJ / 2 && r < ROWS && pxt * ROWS + r < pixels; r = r + 1) begin
                            value = field_value(line, r, act_bits, act_signed);
                            check_fits(r, ACT_BITS, ACT_SIGNED);
                            o = (ic / ROWS) * pixels + pxt * ROWS + r;
                            act_image[o][(ic % ROWS)*ACT_BITS +: ACT_BITS] = value[ACT_BITS-1:0];
                        end
                    end
                    close_vectors;
                end
            end
            for (t = 0; t < act_words; t = t + 1)
                host_write(SEL_ACT, t, {{(HOST_DATA_BITS-ACT_WORD){1'b0}}, act_image[t]});
            for (oct = 0; oct < out_tiles; oct = oct + 1) begin
                for (ic = 0; ic < in_tiles * ROWS; ic = ic + 1) begin
                    if (ic < in_channels) begin
                        $sformat(file_name, "weight_os_ic%0d", ic);
                        add_suffix("oct", oct, out_tiles);
                        open_vectors;
                    end
                    for (kij = 0; kij < KIJ; kij = kij + 1) begin
                        o = oct * steps + ((ic / ROWS) * KIJ + kij) * ROWS + ic % ROWS;
                        if (ic < in_channels) load_word(SEL_WGT, o, COLS, weight_bits, 1, WGT_BITS, 1);
                        else host_write(SEL_WGT, o, {HOST_DATA_BITS{1'b0}});
                    end
                    if (ic < in_channels) close_vectors;
                end
            end
        end
    endtask

    task run_layer;
        begin
            @(negedge clk);
            start = 1'b1;
            @(negedge clk);
            start  = 1'b0;
            cycles = 1;
            while (!done && cycles < max_cycles) begin
                @(negedge clk);
                cycles = cycles + 1;
            end
            if (!done) begin
                $sformat(message, "no done after %0d cycles (+max_cycles): controller state %0d, pc %0d, fold %0d",
                         max_cycles, dbg_state, dbg_pc, dbg_fold);
                fail(message);
            end
            if (bad_instruction || fifo_overflow || acc_overflow) begin
                $sformat(message, "the core raised bad_instruction %0d, fifo_overflow %0d, acc_overflow %0d",
                         bad_instruction, fifo_overflow, acc_overflow);
                fail(message);
            end
        end
    endtask

    // Every line of out.txt: output pixel o, field c = output channel c (rightmost first).
    task compare_outputs;
        begin
            mismatches = 0;
            checked    = 0;
            file_name  = "out";
            open_vectors;
            for (o = 0; o < pixels; o = o + 1) begin
                read_line(out_channels, psum_bits);
                for (oct = 0; oct < out_tiles; oct = oct + 1) begin
                    host_read(oct * pixels + o);
                    for (c = 0; c < COLS && oct * COLS + c < out_channels; c = c + 1) begin
                        value = field_value(line, oct * COLS + c, psum_bits, 1);
                        check_fits(oct * COLS + c, PSUM_BITS, 1);
                        expected = value[PSUM_BITS-1:0];
                        got      = acc_word[c*PSUM_BITS +: PSUM_BITS];
                        checked  = checked + 1;
                        if (got !== expected) begin
                            mismatches = mismatches + 1;
                            if (mismatches <= MAX_REPORTED)
                                $display("core_tb FAIL: out.txt line %0d (output pixel %0d) field %0d (channel %0d): expected %0d, got %0d",
                                         o + 4, o, oct * COLS + c, oct * COLS + c, $signed(expected), $signed(got));
                        end
                    end
                end
            end
            close_vectors;
        end
    endtask

    initial begin
        rst          = 1'b1;
        start        = 1'b0;
        host_wr_en   = 1'b0;
        host_wr_sel  = SEL_INSTR;
        host_wr_addr = {HOST_ADDR_BITS{1'b0}};
        host_wr_data = {HOST_DATA_BITS{1'b0}};
        host_rd_en   = 1'b0;
        host_rd_relu = 1'b0;
        host_rd_addr = {ACC_ADDR_BITS{1'b0}};
        read_plusargs;
        repeat (3) @(negedge clk);
        rst = 1'b0;

        load_program;
        if (dataflow == "ws") load_ws;
        else load_os;
        run_layer;
        compare_outputs;

        if (mismatches > 0) begin
            $sformat(message, "%0d of %0d values of out.txt differ", mismatches, checked);
            fail(message);
        end
        $display("core_tb PASS: %0s, %0d lines x %0d fields of out.txt match, cycles %0d", dataflow, pixels,
                 out_channels, perf_cycles);
        $finish;
    end
endmodule
