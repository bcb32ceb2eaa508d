// One processing element of the systolic array.
//
// Activations (unsigned, ACT_BITS) travel west -> east and weights / partial sums travel
// north -> south, one PE per cycle, so operands injected with a diagonal skew meet in every PE on
// the same cycle.
//
// Weight stationary (mode_os = 0): the PE keeps one weight. Loading: after weight_clear, the first
// weight that arrives from the north is kept and later ones are passed south, so a column loads by
// injecting the weight of row 0 first. Streaming: for every valid activation the PE adds
// act * weight to the partial sum arriving from the north and passes the sum south.
//
// Output stationary (mode_os = 1): weights arrive from the north with their own valid; whenever an
// activation and a weight arrive together the product is added to the PE's accumulator and the
// weight is passed south. drain_capture moves every accumulator onto the southward bus (and
// clears it); each drain_shift then moves the bus one PE down, so the bottom of a column emits the
// accumulators of rows ROWS-1, ROWS-2, ..., 0 on consecutive cycles.
//
// Arithmetic: the activation is zero-extended and the weight sign-extended to ACT_BITS + WGT_BITS
// bits, whose product is exact; the product is sign-extended to PSUM_BITS and added modulo
// 2^PSUM_BITS (two's-complement wrap on overflow). Requires PSUM_BITS > ACT_BITS + WGT_BITS.
module mac_tile #(
    parameter ACT_BITS  = 4,
    parameter WGT_BITS  = 4,
    parameter PSUM_BITS = 16
) (
    input                      clk,
    input                      rst,
    input                      mode_os,
    input                      weight_clear,
    input                      drain_capture,
    input                      drain_shift,
    input      [ACT_BITS-1:0]  act_in,
    input                      act_valid_in,
    output reg [ACT_BITS-1:0]  act_out,
    output reg                 act_valid_out,
    input      [PSUM_BITS-1:0] north_data,
    input                      north_weight_valid,
    input                      north_result_valid,
    output reg [PSUM_BITS-1:0] south_data,
    output reg                 south_weight_valid,
    output reg                 south_result_valid
);
    localparam PROD_BITS = ACT_BITS + WGT_BITS;

    reg [WGT_BITS-1:0]  weight_q;
    reg                 weight_loaded;
    reg [PSUM_BITS-1:0] acc_q;

    // The weight rides in the low bits of the north bus; in WS the stationary one is used.
    wire [WGT_BITS-1:0]  weight_operand = mode_os ? north_data[WGT_BITS-1:0] : weight_q;
    wire [PROD_BITS-1:0] act_wide = {{WGT_BITS{1'b0}}, act_in};
    wire [PROD_BITS-1:0] weight_wide = {{ACT_BITS{weight_operand[WGT_BITS-1]}}, weight_operand};
    // Low PROD_BITS bits of the two's-complement product; exact because |product| < 2^(PROD_BITS-1).
    wire [PROD_BITS-1:0] product = act_wide * weight_wide;
    wire [PSUM_BITS-1:0] product_ext = {{(PSUM_BITS - PROD_BITS){product[PROD_BITS-1]}}, product};

    always @(posedge clk) begin
        if (rst) begin
            act_out            <= {ACT_BITS{1'b0}};
            act_valid_out      <= 1'b0;
            south_data         <= {PSUM_BITS{1'b0}};
            south_weight_valid <= 1'b0;
            south_result_valid <= 1'b0;
            weight_q           <= {WGT_BITS{1'b0}};
            weight_loaded      <= 1'b0;
            acc_q              <= {PSUM_BITS{1'b0}};
        end else begin
            act_valid_out      <= act_valid_in;
            south_weight_valid <= 1'b0;
            south_result_valid <= 1'b0;
            if (act_valid_in) begin
                act_out <= act_in;
            end
            if (mode_os) begin
                if (drain_capture) begin
                    south_data         <= acc_q;
                    south_result_valid <= 1'b1;
                    acc_q              <= {PSUM_BITS{1'b0}};
                end else if (drain_shift) begin
                    south_data         <= north_data;
                    south_result_valid <= north_result_valid;
                end else begin
                    if (north_weight_valid) begin
                        south_data         <= north_data;
                        south_weight_valid <= 1'b1;
                    end
                    if (act_valid_in && north_weight_valid) begin
                        acc_q <= acc_q + product_ext;
                    end
                end
            end else begin
                if (weight_clear) begin
                    weight_loaded <= 1'b0;
                end
                if (act_valid_in) begin
                    south_data         <= north_data + product_ext;
                    south_result_valid <= 1'b1;
                end else if (north_weight_valid) begin
                    if (!weight_loaded || weight_clear) begin
                        weight_q      <= north_data[WGT_BITS-1:0];
                        weight_loaded <= 1'b1;
                    end else begin
                        south_data         <= north_data;
                        south_weight_valid <= 1'b1;
                    end
                end
            end
        end
    end
endmodule
