// Read-out of a layer's sums (a DRAIN instruction): reads the accumulator memory word by word,
// requantizes each word into the next layer's levels (requant.v) and max-pools them (maxpool.v),
// with no stall: one accumulator word per cycle, in the order
//
//   out_tile = 0 .. out_tiles-1, pixel p = 0 .. height*width-1 (raster): word acc_base + out_tile*pixels + p
//
// so each output-channel tile is one map for the pool, and the levels leave (level_valid,
// level_data: COLS lanes of LEVEL_BITS, channel out_tile*COLS + c in lane c) in the same order,
// pooled where `pool` is set. The requantizer's constants of out_tile are its constant memory's
// word const_base + out_tile. `level_bits` (1 to LEVEL_BITS) is the clamp's width: the next layer's
// a_bits, or the classifier's feature bits after the last conv. With `store`, the k-th word of
// levels is also written to activation word act_base + k (store_wr_*): the levels leave in the
// activation memory's layout, so they are the next layer's map.
//
// The accumulator's read port is taken while busy (acc_rd_en, acc_rd_addr; the word is on
// acc_rd_data one cycle later). Without `ring` a DRAIN runs only once the sums are complete (the
// controller starts it with the datapath empty). With `ring` it runs beside its layer's RUN, whose
// tiles alternate between the accumulator's two banks (acc_sequencer.v): out_tile's words are at
// acc_base with the top bit flipped on odd tiles, and the read-out reads a tile once
// tiles_complete (the tiles whose sums are all in the memory) counts it; tile_read pulses with a
// tile's last read, after which the RUN may reuse its bank. busy stays high until the last level has left.
module readout #(
    parameter COLS       = 8,
    parameter PSUM_BITS  = 32,
    parameter MULT_BITS  = 24,
    parameter BIAS_BITS  = PSUM_BITS + MULT_BITS,
    parameter LEVEL_BITS = 16,
    parameter TILE_BITS  = 6,
    parameter DIM_BITS   = 24,
    parameter ACC_ADDR_BITS = 10,
    parameter ACT_ADDR_BITS = 10,
    parameter POOL_BUF_ADDR_BITS = 4
) (
    input                             clk,
    input                             rst,
    input                             start,
    input                             ring_in,
    input      [DIM_BITS-1:0]         tiles_complete,
    output                            tile_read,
    input      [DIM_BITS-1:0]         width_in,
    input      [DIM_BITS-1:0]         height_in,
    input      [DIM_BITS-1:0]         out_tiles_in,
    input      [ACC_ADDR_BITS-1:0]    acc_base_in,
    input                             pool_in,
    input      [4:0]                  level_bits_in,
    input      [TILE_BITS-1:0]        const_base_in,
    input                             store_in,
    input      [ACT_ADDR_BITS-1:0]    act_base_in,
    // requantization constants, from the host port
    input                             const_wr_en,
    input      [COLS-1:0]             const_wr_lanes,
    input      [TILE_BITS-1:0]        const_wr_tile,
    input      [MULT_BITS-1:0]        const_wr_mult,
    input      [BIAS_BITS-1:0]        const_wr_bias,
    input      [5:0]                  const_wr_shift,
    // the accumulator memory's read port
    output                            acc_rd_en,
    output     [ACC_ADDR_BITS-1:0]    acc_rd_addr,
    input      [COLS*PSUM_BITS-1:0]   acc_rd_data,
    output                            level_valid,
    output     [COLS*LEVEL_BITS-1:0]  level_data,
    output                            store_wr_en,
    output reg [ACT_ADDR_BITS-1:0]    store_wr_addr,
    output                            bad_shape,
    output                            busy
);
    localparam [ACC_ADDR_BITS-1:0] HALF = 1 << (ACC_ADDR_BITS - 1);

    reg                     issuing, ring;
    reg [DIM_BITS-1:0]      width, height, x, y, out_tiles, out_tile;
    reg [ACC_ADDR_BITS-1:0] address, tile_address;
    reg [4:0]               level_bits;
    reg [TILE_BITS-1:0]     const_base;
    reg                     store;
    reg                     word_valid;     // the accumulator word read last cycle is on acc_rd_data
    reg [TILE_BITS-1:0]     word_tile;

    wire last_x        = x == width - 1'b1;
    wire last_pixel    = last_x && y == height - 1'b1;
    wire last_out_tile = out_tile == out_tiles - 1'b1;

    // Ring: a tile is read once its sums are complete.
`ifdef MUTANT_RING_EARLY_READ
    // Mutation: a ring DRAIN reads each tile one tile early, before its sums are complete.
    wire reading       = issuing && (!ring || out_tile <= tiles_complete);
`else
    wire reading       = issuing && (!ring || out_tile < tiles_complete);
`endif

    assign acc_rd_en   = reading;
    assign tile_read   = reading && last_pixel;
    assign acc_rd_addr = address;

    always @(posedge clk) begin
        if (rst) begin
            issuing    <= 1'b0;
            word_valid <= 1'b0;
            store      <= 1'b0;
            ring       <= 1'b0;
        end else begin
            word_valid <= reading;
            word_tile  <= const_base + out_tile[TILE_BITS-1:0];
            if (start) begin
                store         <= store_in;
`ifdef MUTANT_STORE_OFFSET
                // Mutation: a storing DRAIN writes its levels one word past act_base.
                store_wr_addr <= act_base_in + 1'b1;
`else
                store_wr_addr <= act_base_in;
`endif
            end else if (store_wr_en) begin
                store_wr_addr <= store_wr_addr + 1'b1;
            end
            if (start) begin
                // An empty layer (no tiles or pixels) issues nothing.
                issuing    <= out_tiles_in != {DIM_BITS{1'b0}} && width_in != {DIM_BITS{1'b0}}
                              && height_in != {DIM_BITS{1'b0}};
                width      <= width_in;
                height     <= height_in;
                out_tiles  <= out_tiles_in;
                x          <= {DIM_BITS{1'b0}};
                y          <= {DIM_BITS{1'b0}};
                out_tile   <= {DIM_BITS{1'b0}};
                ring       <= ring_in;
                address    <= acc_base_in;
                tile_address <= acc_base_in;
                level_bits <= level_bits_in;
                const_base <= const_base_in;
            end else if (reading) begin
                address <= address + 1'b1;  // a tile's words are consecutive (and the tiles, without ring)
                x       <= last_x ? {DIM_BITS{1'b0}} : x + 1'b1;
                if (last_x) begin
                    y <= last_pixel ? {DIM_BITS{1'b0}} : y + 1'b1;
                end
                if (last_pixel) begin
                    out_tile   <= out_tile + 1'b1;
                    if (ring) begin
                        address      <= tile_address ^ HALF;
                        tile_address <= tile_address ^ HALF;
                    end
                    if (last_out_tile) begin
                        issuing <= 1'b0;
                    end
                end
            end
        end
    end

    wire                        requant_valid;
    wire [COLS*LEVEL_BITS-1:0]  requant_level;
    wire                        requant_busy;
    requant #(
        .COLS     (COLS),
        .PSUM_BITS(PSUM_BITS),
        .MULT_BITS(MULT_BITS),
        .BIAS_BITS(BIAS_BITS),
        .OUT_BITS (LEVEL_BITS),
        .TILE_BITS(TILE_BITS)
    ) u_requant (
        .clk           (clk),
        .rst           (rst),
        .const_wr_en   (const_wr_en),
        .const_wr_lanes(const_wr_lanes),
        .const_wr_tile (const_wr_tile),
        .const_wr_mult (const_wr_mult),
        .const_wr_bias (const_wr_bias),
        .const_wr_shift(const_wr_shift),
        .level_bits    (level_bits),
        .in_valid      (word_valid),
        .in_tile       (word_tile),
        .in_acc        (acc_rd_data),
        .out_valid     (requant_valid),
        .out_level     (requant_level),
        .busy          (requant_busy)
    );

    maxpool #(
        .COLS         (COLS),
        .LEVEL_BITS   (LEVEL_BITS),
        .DIM_BITS     (DIM_BITS),
        .BUF_ADDR_BITS(POOL_BUF_ADDR_BITS)
    ) u_maxpool (
        .clk      (clk),
        .rst      (rst),
        .start    (start),
        .pool     (pool_in),
        .width    (width_in),
        .height   (height_in),
        .in_valid (requant_valid),
        .in_pixel (requant_level),
        .out_valid(level_valid),
        .out_pixel(level_data),
        .bad_shape(bad_shape)
    );

    assign store_wr_en = store && level_valid;
    assign busy = issuing || word_valid || requant_busy || requant_valid || level_valid;
endmodule
