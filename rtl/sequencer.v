// Fold sequencer: walks one layer's loop nest and issues the activation and weight memory reads,
// one word per cycle per memory, with no gap between folds. It keeps the layer descriptor it is
// started with. Loop order and addresses (rtl/README.md):
//
// Weight stationary, folds in order (in_tile, out_tile, ki, kj):
//   activation  act_base + in_tile*tile_pitch + (y + ki)*row_pitch + (x + kj), y < height, x < width
//               (only the padded positions that output pixels read: height*width words per fold)
//   weight      wgt_base + fold*ROWS + r, read one fold ahead: fold f+1's ROWS words are read on the
//               first ROWS cycles of fold f (the PEs' shadow registers), fold 0's before fold 0
//   A fold lasts max(height*width, ROWS) cycles; its first activation carries the tag (weight swap).
//
// Output stationary, folds in order (pixel_tile, out_tile):
//   activation  act_base + pixel_tile*tile_pitch + s,  s < tile_pitch (= in_channels * 9)
//   weight      wgt_base + out_tile*tile_pitch + s
//   A fold lasts max(tile_pitch, ROWS) cycles (a PE's drain register must be empty again); its last
//   step carries the tag (capture into the drain register).
//
// `fold` counts the folds issued since start (where a stuck core stood, for the watchdog's report);
// `act_tag` matters only with act_rd_en.
module sequencer #(
    parameter ROWS          = 8,
    parameter DIM_BITS      = 24,
    parameter ACT_ADDR_BITS = 10,
    parameter WGT_ADDR_BITS = 10
) (
    input                          clk,
    input                          rst,
    input                          start,
    input                          mode_os,
    input      [DIM_BITS-1:0]      width_in,
    input      [DIM_BITS-1:0]      row_pitch_in,
    input      [DIM_BITS-1:0]      tile_pitch_in,
    input      [DIM_BITS-1:0]      in_tiles_in,
    input      [DIM_BITS-1:0]      out_tiles_in,
    input      [DIM_BITS-1:0]      pixel_tiles_in,
    input      [DIM_BITS-1:0]      pixels_in,
    input      [ACT_ADDR_BITS-1:0] act_base_in,
    input      [WGT_ADDR_BITS-1:0] wgt_base_in,
    output                         busy,
    output                         act_rd_en,
    output     [ACT_ADDR_BITS-1:0] act_rd_addr,
    output                         act_tag,
    output                         wgt_rd_en,
    output     [WGT_ADDR_BITS-1:0] wgt_rd_addr,
    output reg [31:0]              fold
);
    localparam [DIM_BITS-1:0] ROW_COUNT = ROWS[DIM_BITS-1:0];
    localparam [DIM_BITS-1:0] ONE       = 1;
    localparam [DIM_BITS-1:0] KERNEL_LAST = 2;

    localparam S_IDLE    = 2'd0;
    localparam S_PRELOAD = 2'd1;  // WS: fold 0's weights
    localparam S_STREAM  = 2'd2;

    reg [1:0] state;
    reg       os_q;

    // The layer descriptor, kept from start.
    reg [DIM_BITS-1:0]      width, in_tiles, out_tiles, pixel_tiles;
    // Pitches are added to addresses: bits above the address width do not matter.
    /* verilator lint_off UNUSEDSIGNAL */
    reg [DIM_BITS-1:0]      row_pitch, tile_pitch;
    /* verilator lint_on UNUSEDSIGNAL */
    reg [WGT_ADDR_BITS-1:0] wgt_base;

    // The fold: counters of the loop nest, from the outermost.
    reg [DIM_BITS-1:0] outer;   // WS in_tile, OS pixel_tile
    reg [DIM_BITS-1:0] out_tile;
    reg [DIM_BITS-1:0] ki, kj;  // WS only
    reg [DIM_BITS-1:0] step;    // cycle within the fold
    reg [DIM_BITS-1:0] period;  // cycles per fold
    reg [DIM_BITS-1:0] streamed_words; // words read per fold: WS height*width, OS tile_pitch
    reg [DIM_BITS-1:0] x;       // WS: position within the output row

    reg [ACT_ADDR_BITS-1:0] outer_base;  // act_base + outer*tile_pitch
    reg [ACT_ADDR_BITS-1:0] ki_base;     // WS: outer_base + ki*row_pitch
    reg [ACT_ADDR_BITS-1:0] row_base;    // WS: address of (y + ki, kj) in the current fold
    reg [ACT_ADDR_BITS-1:0] act_addr;
    reg [WGT_ADDR_BITS-1:0] wgt_addr;
    reg [WGT_ADDR_BITS-1:0] out_tile_base; // OS: wgt_base + out_tile*tile_pitch

    wire last_kj       = kj == KERNEL_LAST;
    wire last_ki       = ki == KERNEL_LAST;
    wire last_out_tile = out_tile == out_tiles - ONE;
    wire last_outer    = outer == (os_q ? pixel_tiles : in_tiles) - ONE;
    wire last_fold     = last_outer && last_out_tile && (os_q || (last_ki && last_kj));
    wire last_step     = step == period - ONE;
    wire last_x        = x == width - ONE;
`ifdef MUTANT_LOOP_BOUND
    // Mutation: each fold streams one word too few.
    wire streaming     = state == S_STREAM && step < streamed_words - ONE;
`else
    wire streaming     = state == S_STREAM && step < streamed_words;
`endif

    assign busy        = state != S_IDLE;
    assign act_rd_en   = streaming;
    assign act_rd_addr = act_addr;
    assign act_tag     = os_q ? step == streamed_words - ONE : step == {DIM_BITS{1'b0}};
    assign wgt_rd_en   = os_q ? streaming
                              : state == S_PRELOAD || (state == S_STREAM && step < ROW_COUNT && !last_fold);
    assign wgt_rd_addr = wgt_addr;

    // WS address of the next fold's first activation (its y = x = 0), from the loop counters
    // before they advance.
    wire [ACT_ADDR_BITS-1:0] next_outer_base = outer_base + tile_pitch[ACT_ADDR_BITS-1:0];
    wire [ACT_ADDR_BITS-1:0] next_ki_base    = ki_base + row_pitch[ACT_ADDR_BITS-1:0];
    wire [ACT_ADDR_BITS-1:0] ws_next_fold_addr =
        !last_kj       ? ki_base + kj[ACT_ADDR_BITS-1:0] + 1'b1
      : !last_ki       ? next_ki_base
      : !last_out_tile ? outer_base
      :                  next_outer_base;

    always @(posedge clk) begin
        if (rst) begin
            state          <= S_IDLE;
            os_q           <= 1'b0;
            width          <= {DIM_BITS{1'b0}};
            row_pitch      <= {DIM_BITS{1'b0}};
            tile_pitch     <= {DIM_BITS{1'b0}};
            in_tiles       <= {DIM_BITS{1'b0}};
            out_tiles      <= {DIM_BITS{1'b0}};
            pixel_tiles    <= {DIM_BITS{1'b0}};
            wgt_base       <= {WGT_ADDR_BITS{1'b0}};
            outer          <= {DIM_BITS{1'b0}};
            out_tile       <= {DIM_BITS{1'b0}};
            ki             <= {DIM_BITS{1'b0}};
            kj             <= {DIM_BITS{1'b0}};
            step           <= {DIM_BITS{1'b0}};
            period         <= {DIM_BITS{1'b0}};
            streamed_words <= {DIM_BITS{1'b0}};
            x              <= {DIM_BITS{1'b0}};
            outer_base     <= {ACT_ADDR_BITS{1'b0}};
            ki_base        <= {ACT_ADDR_BITS{1'b0}};
            row_base       <= {ACT_ADDR_BITS{1'b0}};
            act_addr       <= {ACT_ADDR_BITS{1'b0}};
            wgt_addr       <= {WGT_ADDR_BITS{1'b0}};
            out_tile_base  <= {WGT_ADDR_BITS{1'b0}};
            fold           <= 32'd0;
        end else begin
            case (state)
                S_IDLE: begin
                    if (start) begin
                        os_q           <= mode_os;
                        width          <= width_in;
                        row_pitch      <= row_pitch_in;
                        tile_pitch     <= tile_pitch_in;
                        in_tiles       <= in_tiles_in;
                        out_tiles      <= out_tiles_in;
                        pixel_tiles    <= pixel_tiles_in;
                        wgt_base       <= wgt_base_in;
                        outer          <= {DIM_BITS{1'b0}};
                        out_tile       <= {DIM_BITS{1'b0}};
                        ki             <= {DIM_BITS{1'b0}};
                        kj             <= {DIM_BITS{1'b0}};
                        step           <= {DIM_BITS{1'b0}};
                        x              <= {DIM_BITS{1'b0}};
                        fold           <= 32'd0;
                        streamed_words <= mode_os ? tile_pitch_in : pixels_in;
                        period         <= ((mode_os ? tile_pitch_in : pixels_in) > ROW_COUNT)
                                          ? (mode_os ? tile_pitch_in : pixels_in) : ROW_COUNT;
                        outer_base     <= act_base_in;
                        ki_base        <= act_base_in;
                        row_base       <= act_base_in;
                        act_addr       <= act_base_in;
                        wgt_addr       <= wgt_base_in;
                        out_tile_base  <= wgt_base_in;
                        state          <= mode_os ? S_STREAM : S_PRELOAD;
                    end
                end
                S_PRELOAD: begin
                    wgt_addr <= wgt_addr + 1'b1;
                    step     <= step + 1'b1;
                    if (step == ROW_COUNT - ONE) begin
                        step  <= {DIM_BITS{1'b0}};
                        state <= S_STREAM;
                    end
                end
                S_STREAM: begin
                    step <= step + 1'b1;
                    if (wgt_rd_en) begin
                        wgt_addr <= wgt_addr + 1'b1;
                    end
                    if (streaming) begin
                        if (os_q) begin
                            act_addr <= act_addr + 1'b1;
                        end else if (last_x) begin
                            x        <= {DIM_BITS{1'b0}};
                            row_base <= row_base + row_pitch[ACT_ADDR_BITS-1:0];
                            act_addr <= row_base + row_pitch[ACT_ADDR_BITS-1:0];
                        end else begin
                            x        <= x + 1'b1;
                            act_addr <= act_addr + 1'b1;
                        end
                    end
                    if (last_step) begin
                        step <= {DIM_BITS{1'b0}};
                        x    <= {DIM_BITS{1'b0}};
                        fold <= fold + 1'b1;
                        if (last_fold) begin
                            state <= S_IDLE;
                        end else if (os_q) begin
                            // Next (pixel_tile, out_tile): the same activations for every out_tile.
                            if (last_out_tile) begin
                                out_tile      <= {DIM_BITS{1'b0}};
                                outer         <= outer + 1'b1;
                                outer_base    <= outer_base + tile_pitch[ACT_ADDR_BITS-1:0];
                                act_addr      <= outer_base + tile_pitch[ACT_ADDR_BITS-1:0];
                                out_tile_base <= wgt_base;
                                wgt_addr      <= wgt_base;
                            end else begin
                                out_tile      <= out_tile + 1'b1;
                                act_addr      <= outer_base;
                                out_tile_base <= out_tile_base + tile_pitch[WGT_ADDR_BITS-1:0];
                                wgt_addr      <= out_tile_base + tile_pitch[WGT_ADDR_BITS-1:0];
                            end
                        end else begin
                            // Next (in_tile, out_tile, ki, kj); weights continue sequentially.
                            row_base <= ws_next_fold_addr;
                            act_addr <= ws_next_fold_addr;
                            if (!last_kj) begin
                                kj <= kj + 1'b1;
                            end else begin
                                kj <= {DIM_BITS{1'b0}};
                                if (!last_ki) begin
                                    ki      <= ki + 1'b1;
                                    ki_base <= next_ki_base;
                                end else begin
                                    ki <= {DIM_BITS{1'b0}};
                                    if (!last_out_tile) begin
                                        out_tile <= out_tile + 1'b1;
                                        ki_base  <= outer_base;
                                    end else begin
                                        out_tile   <= {DIM_BITS{1'b0}};
                                        outer      <= outer + 1'b1;
                                        outer_base <= next_outer_base;
                                        ki_base    <= next_outer_base;
                                    end
                                end
                            end
                        end
                    end
                end
                default: begin
                    state <= S_IDLE;
                end
            endcase
        end
    end
endmodule
