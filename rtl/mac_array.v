// ROWS x COLS grid of PEs, one mac_row per row. Row r receives activations (with their fold tag) on
// its west edge; column c receives weights on its north edge and emits partial sums (WS) or drained
// results (OS) at its south edge.
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
    wire [ROWS-1:0] row_overflow;

    genvar r;
    generate
        for (r = 0; r < ROWS; r = r + 1) begin : g_row
            wire [COLS*WGT_BITS-1:0]  wgt_in;
            wire [COLS-1:0]           wgt_valid_in;
            wire [COLS*PSUM_BITS-1:0] psum_in;
            wire [COLS-1:0]           psum_valid_in;
            wire [COLS*PSUM_BITS-1:0] psum_out;
            wire [COLS-1:0]           psum_valid_out;
            // Activations leaving the east edge and weights leaving the south edge are dropped.
            /* verilator lint_off UNUSEDSIGNAL */
            wire [COLS*WGT_BITS-1:0]  wgt_out;
            wire [COLS-1:0]           wgt_valid_out;
            wire [ACT_BITS-1:0]       act_out;
            wire                      act_valid_out, act_tag_out;
            /* verilator lint_on UNUSEDSIGNAL */

            if (r == 0) begin : g_north_edge
                assign wgt_in        = north_wgt;
                assign wgt_valid_in  = north_valid;
                // The top row of a WS column adds to zero; nothing drains into it in OS.
                assign psum_in       = {COLS*PSUM_BITS{1'b0}};
                assign psum_valid_in = {COLS{1'b0}};
            end else begin : g_from_north
                assign wgt_in        = g_row[r-1].wgt_out;
                assign wgt_valid_in  = g_row[r-1].wgt_valid_out;
                assign psum_in       = g_row[r-1].psum_out;
                assign psum_valid_in = g_row[r-1].psum_valid_out;
            end

            mac_row #(
                .COLS      (COLS),
                .ACT_BITS  (ACT_BITS),
                .WGT_BITS  (WGT_BITS),
                .PSUM_BITS (PSUM_BITS),
                .ACT_SIGNED(ACT_SIGNED)
`ifdef QACCEL_MUTANTS
                // Mutations that target one PE hit PE (1, 1).
              , .MUTANT_LANE(r == 1 ? 1 : -1)
`endif
            ) u_row (
                .clk             (clk),
                .rst             (rst),
                .mode_os         (mode_os),
                .west_act        (west_act[r*ACT_BITS +: ACT_BITS]),
                .west_valid      (west_valid[r]),
                .west_tag        (west_tag[r]),
                .east_act        (act_out),
                .east_valid      (act_valid_out),
                .east_tag        (act_tag_out),
                .north_wgt       (wgt_in),
                .north_wgt_valid (wgt_valid_in),
                .north_psum      (psum_in),
                .north_psum_valid(psum_valid_in),
                .south_wgt       (wgt_out),
                .south_wgt_valid (wgt_valid_out),
                .south_psum      (psum_out),
                .south_psum_valid(psum_valid_out),
                .overflow        (row_overflow[r])
            );
        end
    endgenerate

    assign south_data  = g_row[ROWS-1].psum_out;
    assign south_valid = g_row[ROWS-1].psum_valid_out;

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
    assign overflow = |row_overflow;
endmodule
