// Fold sequencer: walks one layer's loop nest and issues the activation and weight memory reads,
// one word per cycle per memory, with no gap between folds. It keeps the layer descriptor it is
// started with. Both dataflows read the activation map as it is stored (rtl/README.md): word
// act_base + in_tile*tile_pitch + y*width + x holds the ROWS channels of in_tile at pixel (y, x),
// unpadded. Zero padding is addressing: a read whose kernel tap falls outside the map is not
// issued, and `act_pad` says its word is zero.
//
// Both dataflows walk the output-channel tiles outermost, so a tile's sums are complete before the
// next tile's first, and a tile's weights are one block of B = in_tiles*9*ROWS words at
// wgt_base + out_tile*B, word (in_tile*9 + ki*3 + kj)*ROWS + r (the same image for both).
//
// Weight stationary, folds in order (out_tile, in_tile, ki, kj):
//   activation  pixel p = y*width + x of the fold's tile, tap (y + ki - 1, x + kj - 1), p < pixels
//   weight      wgt_base + fold*ROWS + r, read one fold ahead: fold f+1's ROWS words are read on the
//               first ROWS cycles of fold f (the PEs' shadow registers), fold 0's before fold 0
//   A fold lasts max(pixels, ROWS) cycles; its first activation carries the tag (weight swap).
//
// Output stationary, folds in order (out_tile, pixel_tile), each a run of blocks in order
// (in_tile, ki, kj):
//   activation  a block reads the ROWS pixels of the pixel tile at its tap, one word per pixel;
//               the core's transpose (transpose.v) turns the block into ROWS steps, one channel
//               across the ROWS pixels each (im2col by addressing). Pixels past the last are padding.
//   weight      wgt_base + out_tile*B + s for step s = (in_tile*9 + ki*3 + kj)*ROWS + channel,
//               read ROWS cycles after step s's activation (the transpose's delay), so a weight word
//               meets its step.
//   A fold lasts B cycles; its last activation read carries the tag (capture into the drain register).
//
// With `ring` (the accumulator holds two tiles, read out while the next is computed), out_tile t
// starts only once t < tile_limit (the core's: two more than the tiles the read-out has read); the
// sequencer holds between the tiles until then.
//
// With `dma` (the weights arrive tile by tile in a buffer of two halves, dma.v), each tile's weights
// are read from word 0 of its block (the core puts the half in front), a tile starts only once
// `tile_ready` (its block has arrived), and WS does not read ahead into the next tile: the tile's
// last fold reads nothing, and the next tile preloads its fold 0 after the hold. `tile_read` pulses
// once a tile's last weight read has issued (OS: its delayed reads too), freeing its half.
//
// `fold` counts the folds issued since start (where a stuck core stood, for the watchdog's report);
// `act_tag` and `act_pad` matter only with `act_step`. `act_rd_en` is a step whose word is read.
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
    input                          ring_in,
    input                          dma_in,
    input      [DIM_BITS-1:0]      width_in,
    input      [DIM_BITS-1:0]      height_in,
    input      [DIM_BITS-1:0]      tile_pitch_in,
    input      [DIM_BITS-1:0]      in_tiles_in,
    input      [DIM_BITS-1:0]      out_tiles_in,
    input      [DIM_BITS-1:0]      pixel_tiles_in,
    input      [DIM_BITS-1:0]      pixels_in,
    input      [ACT_ADDR_BITS-1:0] act_base_in,
    input      [WGT_ADDR_BITS-1:0] wgt_base_in,
    input      [DIM_BITS-1:0]      tile_limit,
    input                          tile_ready,
    output                         tile_read,
    output                         busy,
    output                         act_step,
    output                         act_rd_en,
    output     [ACT_ADDR_BITS-1:0] act_rd_addr,
    output                         act_pad,
    output                         act_tag,
    output                         wgt_rd_en,
    output     [WGT_ADDR_BITS-1:0] wgt_rd_addr,
    output reg [31:0]              fold
);
    localparam [DIM_BITS-1:0] ROW_COUNT   = ROWS[DIM_BITS-1:0];
    localparam [DIM_BITS-1:0] ONE         = 1;
    localparam [DIM_BITS-1:0] KERNEL_LAST = 2;

    localparam S_IDLE    = 3'd0;
    localparam S_PRELOAD = 3'd1;  // WS: fold 0's weights
    localparam S_STREAM  = 3'd2;
    localparam S_HOLD    = 3'd3;  // the next out_tile waits (ring: its accumulator bank; dma: its weights)
    localparam S_FLUSH   = 3'd4;  // dma, OS: the tile's delayed weight reads issue

    reg [2:0] state;
    reg       os_q, ring, dma;
    reg       last_tile_q;  // S_FLUSH: the layer's last tile

    // The layer descriptor, kept from start.
    reg [DIM_BITS-1:0]      width, height, in_tiles, out_tiles, pixel_tiles;
    // The pitch is added to addresses: bits above the address width do not matter.
    /* verilator lint_off UNUSEDSIGNAL */
    reg [DIM_BITS-1:0]      tile_pitch;
    /* verilator lint_on UNUSEDSIGNAL */
    reg [ACT_ADDR_BITS-1:0] act_base;

    // The fold: counters of the loop nest, from the outermost.
    reg [DIM_BITS-1:0] out_tile;
    reg [DIM_BITS-1:0] pixel_tile;  // OS
    reg [DIM_BITS-1:0] in_tile;     // WS: the fold's; OS: the block's
    reg [DIM_BITS-1:0] ki, kj;      // the kernel tap: WS the fold's, OS the block's
    reg [DIM_BITS-1:0] lane;        // OS: read within the block
    reg [DIM_BITS-1:0] step;        // WS: cycle within the fold
    reg [DIM_BITS-1:0] period;      // WS: cycles per fold, max(pixels, ROWS)
    reg [DIM_BITS-1:0] pixels;      // WS: words read per fold

    // The pixel walk: the pixel read, as (y, x) and as the address of its own word in the tile.
    // OS blocks restart it at the pixel tile's first pixel (first_y, first_x, first_addr).
    reg [DIM_BITS-1:0]      y, x, first_y, first_x;
    reg [ACT_ADDR_BITS-1:0] pixel_addr;  // tile base + y*width + x
    reg [ACT_ADDR_BITS-1:0] tile_base;   // act_base + in_tile*tile_pitch
    reg [ACT_ADDR_BITS-1:0] first_addr;  // OS: act_base + the pixel tile's first pixel
    reg [ACT_ADDR_BITS-1:0] tap_offset;  // (ki - 1)*width + kj - 1, modulo the address space

    reg [WGT_ADDR_BITS-1:0] wgt_addr;
    reg [WGT_ADDR_BITS-1:0] block_base;                // OS: wgt_base + out_tile*B
    reg [WGT_ADDR_BITS-1:0] os_wgt_addr [0:ROWS-1];  // OS: weight reads waiting for their step
    reg [ROWS-1:0]          os_wgt_en;

    wire last_kj         = kj == KERNEL_LAST;
    wire last_ki         = ki == KERNEL_LAST;
    wire last_tap        = last_ki && last_kj;
    wire last_out_tile   = out_tile == out_tiles - ONE;
    wire last_in_tile    = in_tile == in_tiles - ONE;
    wire last_pixel_tile = pixel_tile == pixel_tiles - ONE;
    // The fold is its out_tile's last: the next fold starts the next tile.
    wire tile_ends       = os_q ? last_pixel_tile : last_in_tile && last_tap;
    wire last_fold       = last_out_tile && tile_ends;
    wire last_lane       = lane == ROW_COUNT - ONE;
    wire last_x          = x == width - ONE;
    // An OS fold ends with the last read of its last block (B = in_tiles*9*ROWS reads, no multiplier).
    wire os_last_read    = last_lane && last_tap && last_in_tile;
    wire last_step       = os_q ? os_last_read : step == period - ONE;
    // out_tile may start (ring: its bank has been read out; dma: its weights have arrived).
    wire tile_may_start  = (!ring || out_tile < tile_limit) && (!dma || tile_ready);
`ifdef MUTANT_LOOP_BOUND
    // Mutation: each fold streams one word too few.
    wire streaming       = state == S_STREAM && (os_q ? !os_last_read : step < pixels - ONE);
`else
    wire streaming       = state == S_STREAM && (os_q || step < pixels);
`endif

    // The tap (y + ki - 1, x + kj - 1) lies in the map, and the pixel exists (OS's last tile).
    wire tap_row_in = (ki != 0 || y != 0) && (ki != KERNEL_LAST || y != height - ONE);
`ifdef MUTANT_PAD_EDGE
    // Mutation: the right edge is not padded (the tap reads the next row's first pixel).
    wire tap_col_in = kj != 0 || x != 0;
`else
    wire tap_col_in = (kj != 0 || x != 0) && (kj != KERNEL_LAST || !last_x);
`endif
    wire in_map     = y < height && tap_row_in && tap_col_in;

    assign busy        = state != S_IDLE || os_wgt_en != {ROWS{1'b0}};
    assign act_step    = streaming;
    assign act_rd_en   = streaming && in_map;
    assign act_rd_addr = pixel_addr + tap_offset;
    assign act_pad     = !in_map;
    assign act_tag     = os_q ? os_last_read : step == {DIM_BITS{1'b0}};
    assign wgt_rd_en   = os_q ? os_wgt_en[ROWS-1]
                              : state == S_PRELOAD
                                || (state == S_STREAM && step < ROW_COUNT && !(dma ? tile_ends : last_fold));
    assign tile_read   = dma && (os_q ? state == S_FLUSH && os_wgt_en == {ROWS{1'b0}}
                                      : state == S_STREAM && last_step && tile_ends);
    assign wgt_rd_addr = os_q ? os_wgt_addr[ROWS-1] : wgt_addr;

    // The walk's next pixel in raster order.
    wire [DIM_BITS-1:0]      next_y    = last_x ? y + ONE : y;
    wire [DIM_BITS-1:0]      next_x    = last_x ? {DIM_BITS{1'b0}} : x + ONE;
    // The tap offset of the next kernel tap (ki, kj advancing in raster order) and of tap (0, 0).
    localparam [ACT_ADDR_BITS-1:0] TWO = 2;
    wire [ACT_ADDR_BITS-1:0] next_tap_offset = last_kj ? tap_offset + width[ACT_ADDR_BITS-1:0] - TWO
                                                       : tap_offset + 1'b1;
    wire [ACT_ADDR_BITS-1:0] first_tap_offset = {ACT_ADDR_BITS{1'b0}} - width[ACT_ADDR_BITS-1:0] - 1'b1;
    wire [ACT_ADDR_BITS-1:0] next_tile_base  = tile_base + tile_pitch[ACT_ADDR_BITS-1:0];
    wire [DIM_BITS-1:0]      next_kj         = last_kj ? {DIM_BITS{1'b0}} : kj + ONE;
    wire [DIM_BITS-1:0]      next_ki         = last_kj ? (last_ki ? {DIM_BITS{1'b0}} : ki + ONE) : ki;

    integer k;
    always @(posedge clk) begin
        // OS weight reads wait ROWS cycles behind their step's activation read.
        os_wgt_en[0]   <= !rst && os_q && streaming;
        os_wgt_addr[0] <= wgt_addr;
        for (k = 1; k < ROWS; k = k + 1) begin
            os_wgt_en[k]   <= !rst && os_wgt_en[k-1];
            os_wgt_addr[k] <= os_wgt_addr[k-1];
        end
        if (rst) begin
            state          <= S_IDLE;
            os_q           <= 1'b0;
            ring           <= 1'b0;
            dma            <= 1'b0;
            last_tile_q    <= 1'b0;
            width          <= {DIM_BITS{1'b0}};
            height         <= {DIM_BITS{1'b0}};
            tile_pitch     <= {DIM_BITS{1'b0}};
            in_tiles       <= {DIM_BITS{1'b0}};
            out_tiles      <= {DIM_BITS{1'b0}};
            pixel_tiles    <= {DIM_BITS{1'b0}};
            act_base       <= {ACT_ADDR_BITS{1'b0}};
            out_tile       <= {DIM_BITS{1'b0}};
            pixel_tile     <= {DIM_BITS{1'b0}};
            ki             <= {DIM_BITS{1'b0}};
            kj             <= {DIM_BITS{1'b0}};
            in_tile        <= {DIM_BITS{1'b0}};
            lane           <= {DIM_BITS{1'b0}};
            step           <= {DIM_BITS{1'b0}};
            period         <= {DIM_BITS{1'b0}};
            pixels         <= {DIM_BITS{1'b0}};
            y              <= {DIM_BITS{1'b0}};
            x              <= {DIM_BITS{1'b0}};
            first_y        <= {DIM_BITS{1'b0}};
            first_x        <= {DIM_BITS{1'b0}};
            pixel_addr     <= {ACT_ADDR_BITS{1'b0}};
            tile_base      <= {ACT_ADDR_BITS{1'b0}};
            first_addr     <= {ACT_ADDR_BITS{1'b0}};
            tap_offset     <= {ACT_ADDR_BITS{1'b0}};
            wgt_addr       <= {WGT_ADDR_BITS{1'b0}};
            block_base     <= {WGT_ADDR_BITS{1'b0}};
            fold           <= 32'd0;
        end else begin
            case (state)
                S_IDLE: begin
                    if (start) begin
                        os_q           <= mode_os;
                        ring           <= ring_in;
                        dma            <= dma_in;
                        width          <= width_in;
                        height         <= height_in;
                        tile_pitch     <= tile_pitch_in;
                        in_tiles       <= in_tiles_in;
                        out_tiles      <= out_tiles_in;
                        pixel_tiles    <= pixel_tiles_in;
                        act_base       <= act_base_in;
                        out_tile       <= {DIM_BITS{1'b0}};
                        pixel_tile     <= {DIM_BITS{1'b0}};
                        ki             <= {DIM_BITS{1'b0}};
                        kj             <= {DIM_BITS{1'b0}};
                        in_tile        <= {DIM_BITS{1'b0}};
                        lane           <= {DIM_BITS{1'b0}};
                        step           <= {DIM_BITS{1'b0}};
                        y              <= {DIM_BITS{1'b0}};
                        x              <= {DIM_BITS{1'b0}};
                        first_y        <= {DIM_BITS{1'b0}};
                        first_x        <= {DIM_BITS{1'b0}};
                        fold           <= 32'd0;
                        pixels         <= pixels_in;
                        period         <= pixels_in > ROW_COUNT ? pixels_in : ROW_COUNT;
                        pixel_addr     <= act_base_in;
                        tile_base      <= act_base_in;
                        first_addr     <= act_base_in;
                        tap_offset     <= {ACT_ADDR_BITS{1'b0}} - width_in[ACT_ADDR_BITS-1:0] - 1'b1;
                        wgt_addr       <= wgt_base_in;
                        block_base     <= wgt_base_in;
                        // dma: the first tile waits for its weights
                        state          <= dma_in ? S_HOLD : mode_os ? S_STREAM : S_PRELOAD;
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
                S_HOLD: begin
                    if (tile_may_start) begin
                        // dma, WS: the tile's fold 0 was not read ahead
                        state <= (dma && !os_q) ? S_PRELOAD : S_STREAM;
                    end
                end
                S_FLUSH: begin
                    if (os_wgt_en == {ROWS{1'b0}}) begin
                        state <= last_tile_q ? S_IDLE : S_HOLD;
                    end
                end
                S_STREAM: begin
                    step <= step + 1'b1;
                    if (os_q ? streaming : wgt_rd_en) begin
                        wgt_addr <= wgt_addr + 1'b1;
                    end
                    if (streaming) begin
                        y          <= next_y;
                        x          <= next_x;
                        pixel_addr <= pixel_addr + 1'b1;
                    end
                    if (os_q && streaming) begin
                        lane <= lane + 1'b1;
                        if (last_lane) begin
                            // The next block: the next tap of the same pixels, or the next in_tile.
                            lane       <= {DIM_BITS{1'b0}};
                            y          <= first_y;
                            x          <= first_x;
                            kj         <= next_kj;
                            ki         <= next_ki;
                            tap_offset <= last_tap ? first_tap_offset : next_tap_offset;
                            if (last_tap) begin
                                in_tile    <= in_tile + ONE;
                                tile_base  <= next_tile_base;
                                pixel_addr <= first_addr + next_tile_base - act_base;
                            end else begin
                                pixel_addr <= first_addr + tile_base - act_base;
                            end
                        end
                    end
                    if (last_step) begin
                        step <= {DIM_BITS{1'b0}};
                        fold <= fold + 1'b1;
                        if (tile_ends) begin
                            out_tile    <= out_tile + ONE;
                            last_tile_q <= last_fold;
                        end
                        if (dma && os_q && tile_ends) begin
                            state <= S_FLUSH;
                        end else if (last_fold) begin
                            state <= S_IDLE;
                        end else if (tile_ends && (dma || (ring && !(out_tile + ONE < tile_limit)))) begin
                            // The next out_tile waits for its weights (dma: always checked there) or its bank.
                            state <= S_HOLD;
                        end
                        if (!last_fold && os_q) begin
                            // Next (out_tile, pixel_tile): blocks restart at in_tile 0, tap (0, 0).
                            in_tile   <= {DIM_BITS{1'b0}};
                            tile_base <= act_base;
                            if (tile_ends) begin
                                // The next tile's weights follow this tile's; its walk restarts.
                                pixel_tile <= {DIM_BITS{1'b0}};
                                first_y    <= {DIM_BITS{1'b0}};
                                first_x    <= {DIM_BITS{1'b0}};
                                y          <= {DIM_BITS{1'b0}};
                                x          <= {DIM_BITS{1'b0}};
                                first_addr <= act_base;
                                pixel_addr <= act_base;
                                block_base <= wgt_addr + 1'b1;
                            end else begin
                                // The next pixel tile starts where this one's walk ended.
                                pixel_tile <= pixel_tile + ONE;
                                first_y    <= next_y;
                                first_x    <= next_x;
                                y          <= next_y;
                                x          <= next_x;
                                first_addr <= first_addr + ROWS[ACT_ADDR_BITS-1:0];
                                pixel_addr <= first_addr + ROWS[ACT_ADDR_BITS-1:0];
                                wgt_addr   <= block_base;
                            end
                        end else if (!last_fold) begin
                            // Next (out_tile, in_tile, ki, kj); weights continue sequentially.
                            y          <= {DIM_BITS{1'b0}};
                            x          <= {DIM_BITS{1'b0}};
                            kj         <= next_kj;
                            ki         <= next_ki;
                            tap_offset <= last_tap ? first_tap_offset : next_tap_offset;
                            pixel_addr <= tile_base;
                            if (last_tap) begin
                                if (!last_in_tile) begin
                                    in_tile    <= in_tile + ONE;
                                    tile_base  <= next_tile_base;
                                    pixel_addr <= next_tile_base;
                                end else begin
                                    in_tile    <= {DIM_BITS{1'b0}};
                                    tile_base  <= act_base;
                                    pixel_addr <= act_base;
                                end
                            end
                        end
                        if (dma && tile_ends) begin
                            // The next tile's weights start at word 0 of its block (its half: the core's).
                            wgt_addr   <= {WGT_ADDR_BITS{1'b0}};
                            block_base <= {WGT_ADDR_BITS{1'b0}};
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
