// Destination of every row of results that leaves the array, in arrival order: it walks the same
// loop nest as the sequencer, one step per row (`advance`), and says where the row goes in the
// accumulator memory and whether it starts a sum or adds to it.
//
// Weight stationary: each fold delivers `pixels` rows, output pixel p of out_tile at
//   acc_base + out_tile*pixels + p; the row starts the sum when in_tile = 0 and ki = kj = 0.
// Output stationary: each fold (pixel_tile, out_tile) delivers ROWS rows, lane k = output pixel
//   pixel_tile*ROWS + k at acc_base + out_tile*pixels + pixel; every row is a whole sum (written),
//   and lanes past the last pixel are padding (not written).
module acc_sequencer #(
    parameter ROWS          = 8,
    parameter DIM_BITS      = 24,
    parameter ACC_ADDR_BITS = 10
) (
    input                          clk,
    input                          rst,
    input                          start,
    input                          mode_os,
    input      [DIM_BITS-1:0]      out_tiles_in,
    input      [DIM_BITS-1:0]      pixels_in,
    input      [ACC_ADDR_BITS-1:0] acc_base_in,
    input                          advance,
    output     [ACC_ADDR_BITS-1:0] addr,
    output                         first,
    output                         write
);
    localparam [DIM_BITS-1:0] ROW_COUNT   = ROWS[DIM_BITS-1:0];
    localparam [DIM_BITS-1:0] ONE         = 1;
    localparam [DIM_BITS-1:0] KIJ_LAST    = 8;

    reg                     os_q;
    // The layer descriptor, kept from start.
    reg [DIM_BITS-1:0]      out_tiles, pixels;
    reg [ACC_ADDR_BITS-1:0] acc_base;
    reg [DIM_BITS-1:0]      row;       // WS: output pixel; OS: lane
    reg [DIM_BITS-1:0]      kij;       // WS
    reg [DIM_BITS-1:0]      out_tile;
    reg                     first_in_tile; // WS: in_tile = 0
    reg [DIM_BITS-1:0]      tile_pixel;    // OS: pixel_tile*ROWS
    reg [ACC_ADDR_BITS-1:0] tile_base;     // acc_base + out_tile*pixels

    wire last_row      = row == (os_q ? ROW_COUNT : pixels) - ONE;
    wire last_kij      = kij == KIJ_LAST;
    wire last_out_tile = out_tile == out_tiles - ONE;
    wire [DIM_BITS-1:0] pixel = os_q ? tile_pixel + row : row;

    assign addr  = tile_base + pixel[ACC_ADDR_BITS-1:0];
    assign first = os_q || (first_in_tile && kij == {DIM_BITS{1'b0}});
    assign write = !os_q || pixel < pixels;

    always @(posedge clk) begin
        if (rst) begin
            os_q          <= 1'b0;
            out_tiles     <= {DIM_BITS{1'b0}};
            pixels        <= {DIM_BITS{1'b0}};
            acc_base      <= {ACC_ADDR_BITS{1'b0}};
            row           <= {DIM_BITS{1'b0}};
            kij           <= {DIM_BITS{1'b0}};
            out_tile      <= {DIM_BITS{1'b0}};
            first_in_tile <= 1'b0;
            tile_pixel    <= {DIM_BITS{1'b0}};
            tile_base     <= {ACC_ADDR_BITS{1'b0}};
        end else if (start) begin
            os_q          <= mode_os;
            out_tiles     <= out_tiles_in;
            pixels        <= pixels_in;
            acc_base      <= acc_base_in;
            row           <= {DIM_BITS{1'b0}};
            kij           <= {DIM_BITS{1'b0}};
            out_tile      <= {DIM_BITS{1'b0}};
            first_in_tile <= 1'b1;
            tile_pixel    <= {DIM_BITS{1'b0}};
            tile_base     <= acc_base_in;
        end else if (advance) begin
            row <= row + 1'b1;
            if (last_row) begin
                row <= {DIM_BITS{1'b0}};
                if (!os_q && !last_kij) begin
                    kij <= kij + 1'b1;
                end else begin
                    kij <= {DIM_BITS{1'b0}};
                    if (!last_out_tile) begin
                        out_tile  <= out_tile + 1'b1;
                        tile_base <= tile_base + pixels[ACC_ADDR_BITS-1:0];
                    end else begin
                        // WS: the next input-channel tile adds to the same sums; OS: next pixel tile.
                        out_tile      <= {DIM_BITS{1'b0}};
                        tile_base     <= acc_base;
                        first_in_tile <= 1'b0;
                        tile_pixel    <= tile_pixel + ROW_COUNT;
                    end
                end
            end
        end
    end
endmodule
