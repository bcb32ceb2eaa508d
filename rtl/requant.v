// Requantization unit: turns accumulator words into the next layer's levels on their way out of
// the accumulator (FORMATS.md, "Integer-only inference"). Per lane c, for output channel
// tile*COLS + c:
//
//   level = clamp((acc * M_c + B_c + 2^(S_c-1)) >> S_c, 0, 2^level_bits - 1)    (level_bits <= OUT_BITS)
//
// with an arithmetic (floor) shift and no rounding term when S_c = 0. One word (COLS lanes) per
// cycle, no stall, fixed latency of 6 cycles: out_valid rises exactly 6 cycles after in_valid.
//
//   cycle 0  in_valid: the constants of in_tile are read (constant memory, one per lane)
//   cycle 1  the constants leave the memory into a register (no multiplier behind a RAM's output)
//   cycle 2  product = acc * M                                   (PSUM_BITS + MULT_BITS bits)
//   cycle 3  total = product + B                                 (TOTAL_BITS)
//   cycle 4  shifted = {total, 0} >>> S                           (TOTAL_BITS + 1)
//   cycle 5  level = clamp(floor(total / 2^S) + bit S-1 of total) (out_valid, out_level next cycle)
// The register after the constant memory and the separate shift cycle took 2 lanes of 32-bit sums
// and 16-bit constants from 59 to 106 MHz on an LFE5U-85F (yowasp nextpnr-ecp5, after routing);
// the multiply (two MULT18X18D and the adder joining them) is now the longest path.
//
// Rounding: floor((t + 2^(S-1)) / 2^S) = floor(t / 2^S) + bit S-1 of t (t = q*2^S + r with
// 0 <= r < 2^S: adding 2^(S-1) carries into q exactly when r >= 2^(S-1)). So the shifter appends
// one zero bit below t, shifts by S and adds the last bit shifted out: no 2^62 term and no adder
// wider than the sum itself; with S = 0 the appended zero is that bit.
//
// Widths, all exact (nothing wraps for any input value, FORMATS.md's or not):
//   product     acc in [-2^(P-1), 2^(P-1)-1], M in [-2^(K-1), 2^(K-1)-1]: |product| <= 2^(P+K-2),
//               P+K bits signed (P = PSUM_BITS, K = MULT_BITS).
//   total       |product| + |B| <= 2^(P+K-2) + 2^(BIAS_BITS-1) < 2^(TOTAL_BITS-1) with
//               TOTAL_BITS = max(P+K, BIAS_BITS) + 1.
//   shifted     TOTAL_BITS + 1 bits; floor(total / 2^S) + 1 bit stays inside (|floor| <= |total|).
//   B_c         BIAS_BITS signed, default P+K: B = round(b*2^S) = (b/m)*M to within rounding, and
//               |M| < 2^(K-1), so B fits P+K bits whenever the bias in accumulator units |b/m|
//               is below 2^(P-1), the accumulator's own range (a larger bias only makes the
//               channel's output constant). The library must refuse a B_c that does not fit.
//
// Constants: a memory per lane holds {S, B, M} per channel tile (2^TILE_BITS tiles). A write
// (const_wr_en) stores const_wr_mult/bias/shift at const_wr_tile in every lane whose bit is set in
// const_wr_lanes (one lane per write from a DMA; several lanes take the same constants). A word
// uses the constants in memory on the cycle it enters: a write on that cycle to its tile comes
// too late for it (read before write), so a tile's constants must be written at least one cycle
// before its first word. Words of different tiles may follow each other with no gap.
module requant #(
    parameter COLS      = 8,
    parameter PSUM_BITS = 32,
    parameter MULT_BITS = 16,
    parameter BIAS_BITS = PSUM_BITS + MULT_BITS,
    parameter OUT_BITS  = 4,
    parameter TILE_BITS = 6
) (
    input                           clk,
    input                           rst,
    input                           const_wr_en,
    input      [COLS-1:0]           const_wr_lanes,
    input      [TILE_BITS-1:0]      const_wr_tile,
    input      [MULT_BITS-1:0]      const_wr_mult,
    input      [BIAS_BITS-1:0]      const_wr_bias,
    input      [5:0]                const_wr_shift,
    input      [4:0]                level_bits,  // the clamp's width, 1 to OUT_BITS
    input                           in_valid,
    input      [TILE_BITS-1:0]      in_tile,
    input      [COLS*PSUM_BITS-1:0] in_acc,
    output reg                      out_valid,
    output reg [COLS*OUT_BITS-1:0]  out_level,
    output                          busy        // a word is inside (out_valid not counted)
);
    localparam PRODUCT_BITS = PSUM_BITS + MULT_BITS;
    localparam TOTAL_BITS   = (PRODUCT_BITS > BIAS_BITS ? PRODUCT_BITS : BIAS_BITS) + 1;
    localparam CONST_BITS   = 6 + BIAS_BITS + MULT_BITS;  // {S, B, M}

    reg                      read_valid;
    reg [COLS*PSUM_BITS-1:0] acc_word;
    reg                      operand_valid;
    reg                      product_valid;
    reg                      total_valid;
    reg                      shifted_valid;

    always @(posedge clk) begin
        if (in_valid) begin
            acc_word <= in_acc;
        end
        if (rst) begin
            read_valid    <= 1'b0;
            operand_valid <= 1'b0;
            product_valid <= 1'b0;
            total_valid   <= 1'b0;
            shifted_valid <= 1'b0;
            out_valid     <= 1'b0;
        end else begin
            read_valid    <= in_valid;
            operand_valid <= read_valid;
            product_valid <= operand_valid;
            total_valid   <= product_valid;
            shifted_valid <= total_valid;
            out_valid     <= shifted_valid;
        end
    end

    assign busy = read_valid || operand_valid || product_valid || total_valid || shifted_valid;

    // The clamp's top, 2^level_bits - 1, within OUT_BITS.
    wire [OUT_BITS-1:0] level_top = ~({OUT_BITS{1'b1}} << level_bits);

    wire [COLS*CONST_BITS-1:0] constants;  // every lane's {S, B, M} of the word in cycle 1

    genvar lane;
    generate
        for (lane = 0; lane < COLS; lane = lane + 1) begin : g_lane
            sdp_ram #(.WIDTH(CONST_BITS), .ADDR_BITS(TILE_BITS)) constant_memory (
                .clk(clk),
                .wr_en(const_wr_en && const_wr_lanes[lane]),
                .wr_addr(const_wr_tile),
                .wr_data({const_wr_shift, const_wr_bias, const_wr_mult}),
                .rd_en(in_valid),
                .rd_addr(in_tile),
                .rd_data(constants[lane*CONST_BITS +: CONST_BITS])
            );

`ifdef MUTANT_REQUANT_LANE_CONSTANTS
            // Mutation: lanes 0 and 1 are given each other's constants.
            localparam SOURCE = (lane < 2) ? 1 - lane : lane;
`else
            localparam SOURCE = lane;
`endif

            // Cycle 1 -> 2: the operands, registered.
            reg        [CONST_BITS-1:0] operand_constants;
            reg signed [PSUM_BITS-1:0]  operand_acc;
            always @(posedge clk) begin
                if (read_valid) begin
                    operand_constants <= constants[SOURCE*CONST_BITS +: CONST_BITS];
                    operand_acc       <= acc_word[lane*PSUM_BITS +: PSUM_BITS];
                end
            end

            // Cycle 2 -> 3: the product, exact (both operands signed, so sign-extended to its width).
            reg signed [PRODUCT_BITS-1:0] product;
            reg signed [BIAS_BITS-1:0]    product_bias;
            reg        [5:0]              product_shift;
            wire signed [MULT_BITS-1:0]    mult           = operand_constants[MULT_BITS-1:0];
            wire signed [PRODUCT_BITS-1:0] acc_times_mult = operand_acc * mult;
            always @(posedge clk) begin
                if (operand_valid) begin
                    product       <= acc_times_mult;
                    product_bias  <= operand_constants[MULT_BITS +: BIAS_BITS];
                    product_shift <= operand_constants[CONST_BITS-1 -: 6];
                end
            end

            // Cycle 3 -> 4: the sum with the bias, exact in TOTAL_BITS.
            reg signed [TOTAL_BITS-1:0] total;
            reg        [5:0]            total_shift;
            wire signed [TOTAL_BITS-1:0] product_wide =
                {{(TOTAL_BITS-PRODUCT_BITS){product[PRODUCT_BITS-1]}}, product};
            wire signed [TOTAL_BITS-1:0] bias_wide =
                {{(TOTAL_BITS-BIAS_BITS){product_bias[BIAS_BITS-1]}}, product_bias};
            always @(posedge clk) begin
                if (product_valid) begin
                    total       <= product_wide + bias_wide;
                    total_shift <= product_shift;
                end
            end

            // Cycle 4 -> 5: the shift. {total, 0} >>> S: the upper bits are floor(total / 2^S),
            // bit 0 is bit S-1 of total.
`ifdef MUTANT_REQUANT_TIES_DOWN
            // Mutation: the rounding term is 2^(S-1) - 1, so ties round down (shift total - 1).
            wire signed [TOTAL_BITS-1:0] rounded_input = total - {{(TOTAL_BITS-1){1'b0}}, total_shift != 6'd0};
`else
            wire signed [TOTAL_BITS-1:0] rounded_input = total;
`endif
            reg signed [TOTAL_BITS:0] shifted;
            always @(posedge clk) begin
                if (total_valid) begin
                    shifted <= $signed({rounded_input, 1'b0}) >>> total_shift;
                end
            end

            // Cycle 5 -> out: round and clamp.
            wire signed [TOTAL_BITS:0] floor_part = shifted >>> 1;
            wire signed [TOTAL_BITS:0] round_bit  = {{TOTAL_BITS{1'b0}}, shifted[0]};
            wire signed [TOTAL_BITS:0] result     = floor_part + round_bit;
            // Clamp to [0, 2^level_bits - 1]: negative reads 0, any bit at level_bits or above
            // reads the top.
            wire below = result[TOTAL_BITS];
            wire above = |result[TOTAL_BITS-1:OUT_BITS] || |(result[OUT_BITS-1:0] & ~level_top);
            always @(posedge clk) begin
                if (shifted_valid) begin
                    out_level[lane*OUT_BITS +: OUT_BITS] <= below ? {OUT_BITS{1'b0}}
                                                          : above ? level_top
                                                          : result[OUT_BITS-1:0];
                end
            end
        end
    endgenerate
endmodule
