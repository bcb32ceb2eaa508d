// ROWS x COLS grid of mac_tile. Row r receives activations (with their fold tag) on its west edge;
// column c receives weights on its north edge and emits partial sums (WS) or drained results (OS)
// at its south edge.
//
// Skew is the caller's job (skew_buffer): row r and column c must be delayed by r and c cycles.
// `busy` stays high for as long as a word that entered can still be inside the array; `overflow`
// is high once any PE's OS accumulator has overflowed (sticky until reset).
module mac_array #(
    parameter ROWS       = 8,
    parameter COLS       = 8,
    parameter ACT_BITS   = 8,
    parameter WGT_BITS   = 4,
    parameter PSUM_BITS  = 32,
    parameter ACT_SIGNED = 1
) (
    input                       clk,
    input                       rst,
    input                       mode_os,
    input  [ROWS*ACT_BITS-1:0]  west_act,
    input  [ROWS-1:0]           west_valid,
    input  [ROWS-1:0]           west_tag,
    input  [COLS*WGT_BITS-1:0]  north_wgt,
    input  [COLS-1:0]           north_valid,
    output [COLS*PSUM_BITS-1:0] south_data,
    output [COLS-1:0]           south_valid,
    output                      overflow,
    output                      busy
);
    // Links are per-PE wires inside the generate blocks rather than slices of one flat bus:
    // a flat bus with ROWS*COLS drivers makes event-driven simulators (Icarus) re-evaluate every
    // reader whenever any PE's output changes.
    wire [ROWS*COLS-1:0] pe_overflow;

    genvar r, c;
    generate
        for (r = 0; r < ROWS; r = r + 1) begin : g_row
            for (c = 0; c < COLS; c = c + 1) begin : g_col
                wire [ACT_BITS-1:0]  act_in;
                wire                 act_valid_in, act_tag_in;
                wire [WGT_BITS-1:0]  wgt_in;
                wire                 wgt_valid_in;
                wire [PSUM_BITS-1:0] psum_in;
                wire                 psum_valid_in;
                wire [PSUM_BITS-1:0] psum_out;
                wire                 psum_valid_out;
                // Activations leaving the east edge and weights leaving the south edge are dropped.
                /* verilator lint_off UNUSEDSIGNAL */
                wire [ACT_BITS-1:0]  act_out;
                wire                 act_valid_out, act_tag_out;
                wire [WGT_BITS-1:0]  wgt_out;
                wire                 wgt_valid_out;
                /* verilator lint_on UNUSEDSIGNAL */

                if (c == 0) begin : g_west_edge
                    assign act_in       = west_act[r*ACT_BITS +: ACT_BITS];
                    assign act_valid_in = west_valid[r];
                    assign act_tag_in   = west_tag[r];
                end else begin : g_from_west
                    assign act_in       = g_row[r].g_col[c-1].act_out;
                    assign act_valid_in = g_row[r].g_col[c-1].act_valid_out;
                    assign act_tag_in   = g_row[r].g_col[c-1].act_tag_out;
                end

                if (r == 0) begin : g_north_edge
                    assign wgt_in        = north_wgt[c*WGT_BITS +: WGT_BITS];
                    assign wgt_valid_in  = north_valid[c];
                    // The top row of a WS column adds to zero; nothing drains into it in OS.
                    assign psum_in       = {PSUM_BITS{1'b0}};
                    assign psum_valid_in = 1'b0;
                end else begin : g_from_north
                    assign wgt_in        = g_row[r-1].g_col[c].wgt_out;
                    assign wgt_valid_in  = g_row[r-1].g_col[c].wgt_valid_out;
                    assign psum_in       = g_row[r-1].g_col[c].psum_out;
                    assign psum_valid_in = g_row[r-1].g_col[c].psum_valid_out;
                end

                if (r == ROWS - 1) begin : g_south_edge
                    assign south_data[c*PSUM_BITS +: PSUM_BITS] = psum_out;
                    assign south_valid[c]                      = psum_valid_out;
                end

                mac_tile #(
                    .ACT_BITS  (ACT_BITS),
                    .WGT_BITS  (WGT_BITS),
                    .PSUM_BITS (PSUM_BITS),
                    .ACT_SIGNED(ACT_SIGNED)
`ifdef QACCEL_MUTANTS
                    // Mutations that target one PE hit PE (1, 1).
                  , .MUTANT_SITE(r == 1 && c == 1)
`endif
                ) u_tile (
                    .clk           (clk),
                    .rst           (rst),
                    .mode_os       (mode_os),
                    .act_in        (act_in),
                    .act_valid_in  (act_valid_in),
                    .act_tag_in    (act_tag_in),
                    .act_out       (act_out),
                    .act_valid_out (act_valid_out),
                    .act_tag_out   (act_tag_out),
                    .wgt_in        (wgt_in),
                    .wgt_valid_in  (wgt_valid_in),
                    .wgt_out       (wgt_out),
                    .wgt_valid_out (wgt_valid_out),
                    .psum_in       (psum_in),
                    .psum_valid_in (psum_valid_in),
                    .psum_out      (psum_out),
                    .psum_valid_out(psum_valid_out),
                    .overflow      (pe_overflow[r*COLS+c])
                );
            end
        end
    endgenerate

    // How many cycles after its last activation the array can still emit at its south edge (only
    // activations make results; a weight that arrives later is a preload). WS: row ROWS-1's last
    // activation crosses COLS PEs. OS: column COLS-1 captures its last row 0 result COLS - ROWS
    // cycles after that activation entered (the skews), and its ROWS results then leave the
    // column one per cycle, ROWS cycles down.
    localparam WS_FLUSH   = COLS;
    localparam OS_FLUSH   = ROWS + COLS;
    localparam QUIET_MAX  = WS_FLUSH > OS_FLUSH ? WS_FLUSH : OS_FLUSH;
    localparam QUIET_BITS = $clog2(QUIET_MAX + 1);
    localparam [QUIET_BITS-1:0] WS_FLUSHED = WS_FLUSH[QUIET_BITS-1:0];
    localparam [QUIET_BITS-1:0] OS_FLUSHED = OS_FLUSH[QUIET_BITS-1:0];
    localparam [QUIET_BITS-1:0] QUIET_LONG = QUIET_MAX[QUIET_BITS-1:0];
    reg [QUIET_BITS-1:0] quiet;  // cycles since an activation last entered (saturating)
    always @(posedge clk) begin
        if (rst) begin
            quiet <= QUIET_LONG;
        end else if (|west_valid) begin
            quiet <= {QUIET_BITS{1'b0}};
        end else if (quiet != QUIET_LONG) begin
            quiet <= quiet + 1'b1;
        end
    end

    assign busy     = quiet < (mode_os ? OS_FLUSHED : WS_FLUSHED);
    assign overflow = |pe_overflow;
endmodule
