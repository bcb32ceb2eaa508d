// ROWS x COLS grid of mac_tile. Row r receives activations on its west edge, column c receives
// weights on its north edge; the bottom row's southward bus is the array's result output.
//
// Skew is the caller's job (skew_buffer): row r and column c must be delayed by r and c cycles.
// busy is high while any PE holds a valid word in flight, so a controller can wait for the array
// to empty before draining (OS) or loading new weights.
module mac_array #(
    parameter ROWS      = 8,
    parameter COLS      = 8,
    parameter ACT_BITS  = 4,
    parameter WGT_BITS  = 4,
    parameter PSUM_BITS = 16
) (
    input                       clk,
    input                       rst,
    input                       mode_os,
    input                       weight_clear,
    input                       drain_capture,
    input                       drain_shift,
    input  [ROWS*ACT_BITS-1:0]  west_act,
    input  [ROWS-1:0]           west_valid,
    input  [COLS*WGT_BITS-1:0]  north_weight,
    input  [COLS-1:0]           north_valid,
    output [COLS*PSUM_BITS-1:0] south_data,
    output [COLS-1:0]           south_result_valid,
    output                      busy
);
    // Links are per-PE wires inside the generate blocks rather than slices of one flat bus:
    // a flat bus with ROWS*COLS drivers makes event-driven simulators (Icarus) re-evaluate every
    // reader whenever any PE's output changes.
    wire [ROWS*COLS-1:0] pe_busy;

    genvar r, c;
    generate
        for (r = 0; r < ROWS; r = r + 1) begin : g_row
            for (c = 0; c < COLS; c = c + 1) begin : g_col
                wire [ACT_BITS-1:0]  act_in;
                wire                 act_valid_in;
                wire [PSUM_BITS-1:0] north_data;
                wire                 north_weight_valid;
                wire                 north_result_valid;
                // Activations leaving the east edge are dropped.
                /* verilator lint_off UNUSEDSIGNAL */
                wire [ACT_BITS-1:0]  act_out;
                /* verilator lint_on UNUSEDSIGNAL */
                wire                 act_valid_out;
                wire [PSUM_BITS-1:0] south_data_out;
                wire                 south_weight_valid;
                wire                 south_result_valid_out;

                if (c == 0) begin : g_west_edge
                    assign act_in       = west_act[r*ACT_BITS +: ACT_BITS];
                    assign act_valid_in = west_valid[r];
                end else begin : g_from_west
                    assign act_in       = g_row[r].g_col[c-1].act_out;
                    assign act_valid_in = g_row[r].g_col[c-1].act_valid_out;
                end

                if (r == 0) begin : g_north_edge
                    // Zero when no weight is injected: the top row of a WS column adds to it.
                    assign north_data = north_valid[c]
                        ? {{(PSUM_BITS - WGT_BITS){1'b0}}, north_weight[c*WGT_BITS +: WGT_BITS]}
                        : {PSUM_BITS{1'b0}};
                    assign north_weight_valid = north_valid[c];
                    assign north_result_valid = 1'b0;
                end else begin : g_from_north
                    assign north_data         = g_row[r-1].g_col[c].south_data_out;
                    assign north_weight_valid = g_row[r-1].g_col[c].south_weight_valid;
                    assign north_result_valid = g_row[r-1].g_col[c].south_result_valid_out;
                end

                if (r == ROWS - 1) begin : g_south_edge
                    assign south_data[c*PSUM_BITS +: PSUM_BITS] = south_data_out;
                    assign south_result_valid[c]               = south_result_valid_out;
                end

                mac_tile #(
                    .ACT_BITS (ACT_BITS),
                    .WGT_BITS (WGT_BITS),
                    .PSUM_BITS(PSUM_BITS)
                ) u_tile (
                    .clk               (clk),
                    .rst               (rst),
                    .mode_os           (mode_os),
                    .weight_clear      (weight_clear),
                    .drain_capture     (drain_capture),
                    .drain_shift       (drain_shift),
                    .act_in            (act_in),
                    .act_valid_in      (act_valid_in),
                    .act_out           (act_out),
                    .act_valid_out     (act_valid_out),
                    .north_data        (north_data),
                    .north_weight_valid(north_weight_valid),
                    .north_result_valid(north_result_valid),
                    .south_data        (south_data_out),
                    .south_weight_valid(south_weight_valid),
                    .south_result_valid(south_result_valid_out)
                );

                // Every link's valid leaving this PE (the injected edges are the skew buffers' to report).
                assign pe_busy[r*COLS+c] = act_valid_out || south_weight_valid || south_result_valid_out;
            end
        end
    endgenerate

    assign busy = |pe_busy;
endmodule
