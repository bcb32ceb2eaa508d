// Destination of every row of results that leaves the array, in arrival order: it walks the same
// loop nest as the sequencer, one step per row (`advance`), and says where the row goes in the
// accumulator memory and whether it starts a sum or adds to it. Output-channel tiles come one
// after another (the sequencer's outermost loop); `tile_done` marks a tile's last row.
//
// Weight stationary: folds (out_tile, in_tile, kij) deliver `pixels` rows each, output pixel p of
//   out_tile at tile_base + p; the row starts the sum when in_tile = 0 and kij = 0.
// Output stationary: folds (out_tile, pixel_tile) deliver ROWS rows each, lane k = output pixel
//   pixel_tile*ROWS + k at tile_base + pixel; every row is a whole sum (written), and lanes past the
//   last pixel are padding (not written).
// tile_base is acc_base + out_tile*pixels, or with `ring` (two tiles in the memory, one read out
// while the next is computed) acc_base with its top bit flipped on odd tiles: the memory's halves
// are its two banks (accumulator.v).
module acc_sequencer #(
    parameter ROWS          = 8,
    parameter DIM_BITS      = 24,
    parameter ACC_ADDR_BITS = 10
) (
    input                          clk,
    input                          rst,
    input                          start,
    input                          mode_os,
    input                          ring_in,
    input      [DIM_BITS-1:0]      in_tiles_in,
    input      [DIM_BITS-1:0]      out_tiles_in,
    input      [DIM_BITS-1:0]      pixels_in,
    input      [ACC_ADDR_BITS-1:0] acc_base_in,
    input                          advance,
    output     [ACC_ADDR_BITS-1:0] addr,
    output                         first,
    output                         write,
    output                         tile_done
);
    localparam [DIM_BITS-1:0] ROW_COUNT   = ROWS[DIM_BITS-1:0];
    localparam [DIM_BITS-1:0] ONE         = 1;
    localparam [DIM_BITS-1:0] KIJ_LAST    = 8;
    localparam [ACC_ADDR_BITS-1:0] HALF   = 1 << (ACC_ADDR_BITS - 1);

    reg                     os_q, ring;
    // The layer descriptor, kept from start.
    reg [DIM_BITS-1:0]      in_tiles, out_tiles, pixels;
    reg [DIM_BITS-1:0]      row;         // WS: output pixel; OS: lane
    reg [DIM_BITS-1:0]      kij;         // WS
    reg [DIM_BITS-1:0]      in_tile;     // WS
    reg [DIM_BITS-1:0]      out_tile;
    reg [DIM_BITS-1:0]      tile_pixel;  // OS: pixel_tile*ROWS
    reg [ACC_ADDR_BITS-1:0] tile_base;

    wire last_row      = row == (os_q ? ROW_COUNT : pixels) - ONE;
    wire last_kij      = kij == KIJ_LAST;
    wire last_in_tile  = in_tile == in_tiles - ONE;
    wire last_out_tile = out_tile == out_tiles - ONE;
    wire fold_ends_tile = os_q ? tile_pixel + ROW_COUNT >= pixels : last_in_tile && last_kij;
    wire [DIM_BITS-1:0] pixel = os_q ? tile_pixel + row : row;

    assign addr      = tile_base + pixel[ACC_ADDR_BITS-1:0];
    assign first     = os_q || (in_tile == {DIM_BITS{1'b0}} && kij == {DIM_BITS{1'b0}});
    assign write     = !os_q || pixel < pixels;
    assign tile_done = advance && last_row && fold_ends_tile;

    always @(posedge clk) begin
        if (rst) begin
            os_q       <= 1'b0;
            ring       <= 1'b0;
            in_tiles   <= {DIM_BITS{1'b0}};
            out_tiles  <= {DIM_BITS{1'b0}};
            pixels     <= {DIM_BITS{1'b0}};
            row        <= {DIM_BITS{1'b0}};
            kij        <= {DIM_BITS{1'b0}};
            in_tile    <= {DIM_BITS{1'b0}};
            out_tile   <= {DIM_BITS{1'b0}};
            tile_pixel <= {DIM_BITS{1'b0}};
            tile_base  <= {ACC_ADDR_BITS{1'b0}};
        end else if (start) begin
            os_q       <= mode_os;
            ring       <= ring_in;
            in_tiles   <= in_tiles_in;
            out_tiles  <= out_tiles_in;
            pixels     <= pixels_in;
            row        <= {DIM_BITS{1'b0}};
            kij        <= {DIM_BITS{1'b0}};
            in_tile    <= {DIM_BITS{1'b0}};
            out_tile   <= {DIM_BITS{1'b0}};
            tile_pixel <= {DIM_BITS{1'b0}};
            tile_base  <= acc_base_in;
        end else if (advance) begin
            row <= row + 1'b1;
            if (last_row) begin
                row <= {DIM_BITS{1'b0}};
                if (os_q) begin
                    tile_pixel <= tile_pixel + ROW_COUNT;
                end else begin
                    kij <= last_kij ? {DIM_BITS{1'b0}} : kij + 1'b1;
                    if (last_kij) begin
                        in_tile <= last_in_tile ? {DIM_BITS{1'b0}} : in_tile + ONE;
                    end
                end
                if (fold_ends_tile && !last_out_tile) begin
                    out_tile   <= out_tile + 1'b1;
                    tile_pixel <= {DIM_BITS{1'b0}};
                    tile_base  <= ring ? tile_base ^ HALF : tile_base + pixels[ACC_ADDR_BITS-1:0];
                end
            end
        end
    end
endmodule
