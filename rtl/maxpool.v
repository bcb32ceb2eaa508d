// 2x2 stride-2 max-pool of the levels leaving the requantization unit, streaming: pixels (COLS
// channel lanes of LEVEL_BITS, unsigned) arrive in raster order of the conv's output map, pixel
// y*width + x, as the accumulator is read out; one pooled pixel leaves per 2x2 window, in raster
// order of the pooled map. Several maps (output-channel tiles) may follow each other after one
// start. Pooling after the clamp is exact: max commutes with a non-decreasing map (FORMATS.md).
//
// start (one cycle, no pixel on it) takes width, height and pool for the maps that follow:
//   pool = 0  bypass: every pixel leaves unchanged one cycle after it arrives.
//   pool = 1  pixel (x, y): even x is held; odd x of an even row writes max(held, pixel) into the
//             row buffer at x/2; even x of an odd row reads the buffer at x/2 (synchronous read:
//             the word is there from the next cycle until the next read); odd x of an odd row
//             completes the window: max(buffer word, held, pixel) leaves on the next cycle.
// The row buffer holds 2^BUF_ADDR_BITS words (BUF_ADDR_BITS < DIM_BITS), so widths up to
// 2^(BUF_ADDR_BITS+1) pool. Pooling refuses a map with an odd or zero width or height (a 2x2 window
// would cover a pixel twice or drop one) or a wider one: bad_shape rises on the cycle after start,
// stays high until the next start, and no pixel leaves meanwhile.
module maxpool #(
    parameter COLS          = 8,
    parameter LEVEL_BITS    = 4,
    parameter DIM_BITS      = 8,
    parameter BUF_ADDR_BITS = 4
) (
    input                            clk,
    input                            rst,
    input                            start,
    input                            pool,
    input      [DIM_BITS-1:0]        width,
    input      [DIM_BITS-1:0]        height,
    input                            in_valid,
    input      [COLS*LEVEL_BITS-1:0] in_pixel,
    output reg                       out_valid,
    output reg [COLS*LEVEL_BITS-1:0] out_pixel,
    output reg                       bad_shape
);
    localparam WORD = COLS * LEVEL_BITS;

    reg                 pooling;
    reg [DIM_BITS-1:0]  row_width;
    reg [DIM_BITS-2:0]  pair;       // x / 2
    reg                 odd_column; // x % 2
    reg                 odd_row;    // y % 2
    reg [WORD-1:0]      held;       // the window's pixel at even x of this row

    localparam [DIM_BITS-1:0] BUFFER_WORDS = 1 << BUF_ADDR_BITS;

    wire too_wide    = {1'b0, width[DIM_BITS-1:1]} > BUFFER_WORDS;
    wire shape_wrong = width[0] || height[0] || width == {DIM_BITS{1'b0}} || height == {DIM_BITS{1'b0}}
                    || too_wide;
    wire last_pair   = {pair, 1'b1} == row_width - 1'b1;

    // The row buffer: one synchronous write and one synchronous read port (no reset), which Yosys
    // maps to block RAM; at the depths VGG16 needs (16 words) its cost model would pick LUT RAM.
    (* ram_style = "block" *) reg [WORD-1:0] row_buffer [0:(1<<BUF_ADDR_BITS)-1];
    reg [WORD-1:0] buffered;

    wire pool_pixel = in_valid && pooling && !bad_shape;

    // Lane by lane maximum of two words.
    function [WORD-1:0] lane_max;
        input [WORD-1:0] a;
        input [WORD-1:0] b;
        integer index;
        begin
            for (index = 0; index < COLS; index = index + 1) begin
                lane_max[index*LEVEL_BITS +: LEVEL_BITS] =
                    (a[index*LEVEL_BITS +: LEVEL_BITS] > b[index*LEVEL_BITS +: LEVEL_BITS])
                    ? a[index*LEVEL_BITS +: LEVEL_BITS] : b[index*LEVEL_BITS +: LEVEL_BITS];
            end
        end
    endfunction

`ifdef MUTANT_POOL_WINDOW
    // Mutation: the window leaves out its second column (odd x): max of the held pixels only.
    wire [WORD-1:0] row_max = held;
`else
    wire [WORD-1:0] row_max = lane_max(held, in_pixel);
`endif

    always @(posedge clk) begin
        if (pool_pixel && odd_column && !odd_row) begin
            row_buffer[pair[BUF_ADDR_BITS-1:0]] <= row_max;
        end
        if (pool_pixel && !odd_column && odd_row) begin
            buffered <= row_buffer[pair[BUF_ADDR_BITS-1:0]];
        end
        if (pool_pixel && !odd_column) begin
            held <= in_pixel;
        end
        if (pooling) begin
            out_pixel <= lane_max(row_max, buffered);
        end else begin
            out_pixel <= in_pixel;
        end
        if (start) begin
            row_width  <= width;
            pair       <= {(DIM_BITS-1){1'b0}};
            odd_column <= 1'b0;
            odd_row    <= 1'b0;
        end else if (pool_pixel) begin
            odd_column <= !odd_column;
            if (odd_column) begin
                pair <= last_pair ? {(DIM_BITS-1){1'b0}} : pair + 1'b1;
                if (last_pair) begin
                    odd_row <= !odd_row;
                end
            end
        end
        if (rst) begin
            pooling   <= 1'b0;
            bad_shape <= 1'b0;
            out_valid <= 1'b0;
        end else begin
            if (start) begin
                pooling   <= pool;
                bad_shape <= pool && shape_wrong;
            end
            out_valid <= pooling ? (pool_pixel && odd_column && odd_row) : in_valid;
        end
    end
endmodule
