// qaccel core: a ROWS x COLS reconfigurable (weight- or output-stationary) systolic array with
// its memories, input skew, output FIFO, result writer, SFP and instruction-driven controller.
//
//   instr_mem -> controller -> act_mem -> row skew  --> mac_array -> ofifo -> result_writer
//                          \-> wgt_mem -> col skew  -/                           |
//                                                                            psum_mem
//                                                              out_mem <- sfp <-/
//
// mode selects the dataflow at run time (0 = WS, 1 = OS); it is sampled when start is pulsed.
// The host port writes the instruction, activation and weight memories and reads the psum and
// output memories (read data one cycle after host_rd_en; only while the core is not busy).
// Memory word layouts, the instruction set and timing are in rtl/README.md.
module core #(
    parameter ROWS            = 8,
    parameter COLS            = 8,
    parameter ACT_BITS        = 4,
    parameter WGT_BITS        = 4,
    parameter PSUM_BITS       = 16,
    parameter ADDR_BITS       = 10,
    parameter OFIFO_DEPTH_BITS = 4,
    // Derived, leave at the default: width of the host write port, the widest of an instruction
    // (4 + 4*ADDR_BITS), an activation word and a weight word.
    parameter HOST_BITS = ((4 + 4*ADDR_BITS) > ROWS*ACT_BITS)
                        ? ((4 + 4*ADDR_BITS) > COLS*WGT_BITS ? (4 + 4*ADDR_BITS) : COLS*WGT_BITS)
                        : (ROWS*ACT_BITS > COLS*WGT_BITS ? ROWS*ACT_BITS : COLS*WGT_BITS)
) (
    input                        clk,
    input                        rst,
    input                        mode,
    input                        start,
    output                       done,
    output                       busy,
    output                       bad_instruction,
    output                       fifo_overflow,
    output [31:0]                perf_array_cycles,
    output [31:0]                perf_sfp_cycles,
    input                        host_wr_en,
    input  [1:0]                 host_wr_sel,
    input  [ADDR_BITS-1:0]       host_wr_addr,
    input  [HOST_BITS-1:0]       host_wr_data,
    input                        host_rd_en,
    input                        host_rd_sel,
    input  [ADDR_BITS-1:0]       host_rd_addr,
    output [COLS*PSUM_BITS-1:0]  host_rd_data
);
    localparam INSTR_BITS = 4 + 4*ADDR_BITS;
    localparam ACT_WORD   = ROWS*ACT_BITS;
    localparam WGT_WORD   = COLS*WGT_BITS;
    localparam ROW_WORD   = COLS*PSUM_BITS;

    localparam [1:0] SEL_INSTR = 2'd0;
    localparam [1:0] SEL_ACT   = 2'd1;
    localparam [1:0] SEL_WGT   = 2'd2;

    // controller <-> memories and datapath
    wire                  mode_os;
    wire                  instr_rd_en;
    wire [ADDR_BITS-1:0]  instr_rd_addr;
    wire [INSTR_BITS-1:0] instr_rd_data;
    wire                  act_rd_en, wgt_rd_en;
    wire [ADDR_BITS-1:0]  act_rd_addr, wgt_rd_addr;
    wire [ACT_WORD-1:0]   act_rd_data;
    wire [WGT_WORD-1:0]   wgt_rd_data;
    wire                  act_word_valid, wgt_word_valid;
    wire                  weight_clear, drain_capture, drain_shift;
    wire                  writer_start, writer_descending;
    wire [ADDR_BITS-1:0]  writer_start_addr;
    wire [ADDR_BITS-1:0]  sfp_count0, sfp_count1, sfp_count2;
    wire [ADDR_BITS-1:0]  sfp_stride0, sfp_stride1, sfp_stride2;
    wire                  sfp_cmd_valid, sfp_cmd_relu, sfp_cmd_ready;
    wire [ADDR_BITS-1:0]  sfp_cmd_base, sfp_cmd_out_addr;
    wire                  datapath_busy;

    // datapath
    wire [ROWS-1:0]          row_valid;
    wire [ACT_WORD-1:0]      row_act;
    wire                     row_skew_busy;
    wire [COLS-1:0]          col_valid;
    wire [WGT_WORD-1:0]      col_weight;
    wire                     col_skew_busy;
    wire [ROW_WORD-1:0]      array_south_data;
    wire [COLS-1:0]          array_south_valid;
    wire                     array_busy;
    wire [ROW_WORD-1:0]      ofifo_rd_data;
    wire                     ofifo_row_valid, ofifo_empty, ofifo_pop;
    wire                     psum_wr_en;
    wire [ADDR_BITS-1:0]     psum_wr_addr;
    wire                     sfp_psum_rd_en;
    wire [ADDR_BITS-1:0]     sfp_psum_rd_addr;
    wire [ROW_WORD-1:0]      psum_rd_data;
    wire                     out_wr_en;
    wire [ADDR_BITS-1:0]     out_wr_addr;
    wire [ROW_WORD-1:0]      out_wr_data;
    wire [ROW_WORD-1:0]      out_rd_data;
    wire                     sfp_busy;

    controller #(
        .ROWS     (ROWS),
        .ADDR_BITS(ADDR_BITS)
    ) u_controller (
        .clk              (clk),
        .rst              (rst),
        .start            (start),
        .mode_os          (mode),
        .mode_os_q        (mode_os),
        .done             (done),
        .busy             (busy),
        .bad_instruction  (bad_instruction),
        .perf_array_cycles(perf_array_cycles),
        .perf_sfp_cycles  (perf_sfp_cycles),
        .instr_rd_en      (instr_rd_en),
        .instr_rd_addr    (instr_rd_addr),
        .instr_rd_data    (instr_rd_data),
        .act_rd_en        (act_rd_en),
        .act_rd_addr      (act_rd_addr),
        .wgt_rd_en        (wgt_rd_en),
        .wgt_rd_addr      (wgt_rd_addr),
        .act_word_valid   (act_word_valid),
        .wgt_word_valid   (wgt_word_valid),
        .weight_clear     (weight_clear),
        .drain_capture    (drain_capture),
        .drain_shift      (drain_shift),
        .writer_start     (writer_start),
        .writer_start_addr(writer_start_addr),
        .writer_descending(writer_descending),
        .sfp_count0       (sfp_count0),
        .sfp_count1       (sfp_count1),
        .sfp_count2       (sfp_count2),
        .sfp_stride0      (sfp_stride0),
        .sfp_stride1      (sfp_stride1),
        .sfp_stride2      (sfp_stride2),
        .sfp_cmd_valid    (sfp_cmd_valid),
        .sfp_cmd_base     (sfp_cmd_base),
        .sfp_cmd_out_addr (sfp_cmd_out_addr),
        .sfp_cmd_relu     (sfp_cmd_relu),
        .sfp_cmd_ready    (sfp_cmd_ready),
        .datapath_busy    (datapath_busy)
    );

    sdp_ram #(.WIDTH(INSTR_BITS), .ADDR_BITS(ADDR_BITS)) u_instr_mem (
        .clk    (clk),
        .wr_en  (host_wr_en && host_wr_sel == SEL_INSTR),
        .wr_addr(host_wr_addr),
        .wr_data(host_wr_data[INSTR_BITS-1:0]),
        .rd_en  (instr_rd_en),
        .rd_addr(instr_rd_addr),
        .rd_data(instr_rd_data)
    );

    sdp_ram #(.WIDTH(ACT_WORD), .ADDR_BITS(ADDR_BITS)) u_act_mem (
        .clk    (clk),
        .wr_en  (host_wr_en && host_wr_sel == SEL_ACT),
        .wr_addr(host_wr_addr),
        .wr_data(host_wr_data[ACT_WORD-1:0]),
        .rd_en  (act_rd_en),
        .rd_addr(act_rd_addr),
        .rd_data(act_rd_data)
    );

    sdp_ram #(.WIDTH(WGT_WORD), .ADDR_BITS(ADDR_BITS)) u_wgt_mem (
        .clk    (clk),
        .wr_en  (host_wr_en && host_wr_sel == SEL_WGT),
        .wr_addr(host_wr_addr),
        .wr_data(host_wr_data[WGT_WORD-1:0]),
        .rd_en  (wgt_rd_en),
        .rd_addr(wgt_rd_addr),
        .rd_data(wgt_rd_data)
    );

    skew_buffer #(.LANES(ROWS), .WIDTH(ACT_BITS)) u_row_skew (
        .clk      (clk),
        .rst      (rst),
        .in_valid (act_word_valid),
        .in_data  (act_rd_data),
        .out_valid(row_valid),
        .out_data (row_act),
        .busy     (row_skew_busy)
    );

    skew_buffer #(.LANES(COLS), .WIDTH(WGT_BITS)) u_col_skew (
        .clk      (clk),
        .rst      (rst),
        .in_valid (wgt_word_valid),
        .in_data  (wgt_rd_data),
        .out_valid(col_valid),
        .out_data (col_weight),
        .busy     (col_skew_busy)
    );

    mac_array #(
        .ROWS     (ROWS),
        .COLS     (COLS),
        .ACT_BITS (ACT_BITS),
        .WGT_BITS (WGT_BITS),
        .PSUM_BITS(PSUM_BITS)
    ) u_array (
        .clk               (clk),
        .rst               (rst),
        .mode_os           (mode_os),
        .weight_clear      (weight_clear),
        .drain_capture     (drain_capture),
        .drain_shift       (drain_shift),
        .west_act          (row_act),
        .west_valid        (row_valid),
        .north_weight      (col_weight),
        .north_valid       (col_valid),
        .south_data        (array_south_data),
        .south_result_valid(array_south_valid),
        .busy              (array_busy)
    );

    ofifo #(
        .COLS      (COLS),
        .WIDTH     (PSUM_BITS),
        .DEPTH_BITS(OFIFO_DEPTH_BITS)
    ) u_ofifo (
        .clk      (clk),
        .rst      (rst),
        .wr_en    (array_south_valid),
        .wr_data  (array_south_data),
        .rd_en    (ofifo_pop),
        .rd_data  (ofifo_rd_data),
        .row_valid(ofifo_row_valid),
        .empty    (ofifo_empty),
        .overflow (fifo_overflow)
    );

    result_writer #(.ADDR_BITS(ADDR_BITS)) u_writer (
        .clk         (clk),
        .rst         (rst),
        .start       (writer_start),
        .start_addr  (writer_start_addr),
        .descending  (writer_descending),
        .row_valid   (ofifo_row_valid),
        .pop         (ofifo_pop),
        .psum_wr_en  (psum_wr_en),
        .psum_wr_addr(psum_wr_addr)
    );

    // The SFP owns the psum read port while it runs; the host reads it otherwise.
    wire host_reads_psum = host_rd_en && !host_rd_sel;
    sdp_ram #(.WIDTH(ROW_WORD), .ADDR_BITS(ADDR_BITS)) u_psum_mem (
        .clk    (clk),
        .wr_en  (psum_wr_en),
        .wr_addr(psum_wr_addr),
        .wr_data(ofifo_rd_data),
        .rd_en  (sfp_psum_rd_en || host_reads_psum),
        .rd_addr(sfp_psum_rd_en ? sfp_psum_rd_addr : host_rd_addr),
        .rd_data(psum_rd_data)
    );

    sfp #(
        .LANES    (COLS),
        .PSUM_BITS(PSUM_BITS),
        .ADDR_BITS(ADDR_BITS)
    ) u_sfp (
        .clk         (clk),
        .rst         (rst),
        .count0      (sfp_count0),
        .count1      (sfp_count1),
        .count2      (sfp_count2),
        .stride0     (sfp_stride0),
        .stride1     (sfp_stride1),
        .stride2     (sfp_stride2),
        .cmd_valid   (sfp_cmd_valid),
        .cmd_base    (sfp_cmd_base),
        .cmd_out_addr(sfp_cmd_out_addr),
        .cmd_relu    (sfp_cmd_relu),
        .cmd_ready   (sfp_cmd_ready),
        .psum_rd_en  (sfp_psum_rd_en),
        .psum_rd_addr(sfp_psum_rd_addr),
        .psum_rd_data(psum_rd_data),
        .out_wr_en   (out_wr_en),
        .out_wr_addr (out_wr_addr),
        .out_wr_data (out_wr_data),
        .busy        (sfp_busy)
    );

    sdp_ram #(.WIDTH(ROW_WORD), .ADDR_BITS(ADDR_BITS)) u_out_mem (
        .clk    (clk),
        .wr_en  (out_wr_en),
        .wr_addr(out_wr_addr),
        .wr_data(out_wr_data),
        .rd_en  (host_rd_en && host_rd_sel),
        .rd_addr(host_rd_addr),
        .rd_data(out_rd_data)
    );

    reg host_rd_sel_q;
    always @(posedge clk) begin
        if (rst) begin
            host_rd_sel_q <= 1'b0;
        end else if (host_rd_en) begin
            host_rd_sel_q <= host_rd_sel;
        end
    end
    assign host_rd_data = host_rd_sel_q ? out_rd_data : psum_rd_data;

    assign datapath_busy = act_word_valid || wgt_word_valid || row_skew_busy || col_skew_busy
                        || array_busy || !ofifo_empty || sfp_busy;
endmodule
