// One processing element of the systolic array.
//
// Three links pass through a PE, one PE per cycle, each a word with its valid bit: activations
// west -> east (with the fold tag), weights north -> south and partial sums north -> south.
// Operands injected with a diagonal skew meet in every PE on the same cycle.
//
// Weight stationary (mode_os = 0). Two weight registers: `active` multiplies, `shadow` holds the
// next fold's weight. A preload wave arrives on the weight link while the current fold streams:
// a PE whose shadow is empty keeps the weight that arrives and passes later ones south, so a column
// is preloaded by injecting row 0's weight first. The first activation of a fold carries the tag:
// that activation is multiplied with the shadow weight, which becomes the active one, and the
// shadow is free again (a weight arriving on that very cycle is kept). Every valid activation adds
// act * weight to the partial sum from the north and sends the sum south.
//
// Output stationary (mode_os = 1). Activation and weight arrive together; their product is added
// to the accumulator. The last step of a fold carries the tag: its sum moves to the drain register
// and the accumulator restarts at zero, so the next fold accumulates while this one drains. The
// partial-sum link is the drain bus: a PE forwards whatever arrives from the north and, on a cycle
// when nothing arrives, puts its own drain register on the bus. A column therefore emits rows
// 0, 1, ..., ROWS-1 on consecutive cycles; row r holds its result r + 1 cycles, so folds start at
// least ROWS cycles apart (the sequencer's fold period).
//
// Arithmetic: the activation is sign- (ACT_SIGNED) or zero-extended to ACT_BITS + 1 bits and the
// weight sign-extended; their product is exact and sign-extended to PSUM_BITS. Adds wrap modulo
// 2^PSUM_BITS. A WS column adds ROWS products, which the core's parameters guarantee to fit
// (rtl/README.md); an OS accumulator adds a whole layer's worth, so `overflow` goes high (sticky
// until reset) when one of its adds overflowed.
//
// Only the valid bits and the accumulator are reset: every other register is qualified by a valid
// bit or loaded by the tag before it is used (fewer branches per PE per cycle for the simulators).
module mac_tile #(
    parameter ACT_BITS   = 8,
    parameter WGT_BITS   = 4,
    parameter PSUM_BITS  = 32,
    parameter ACT_SIGNED = 1
`ifdef QACCEL_MUTANTS
    // Mutation builds only (rtl/README.md, "Mutation check"): 1 in the one PE a mutation targets
    // (unused by the mutations of other blocks).
    /* verilator lint_off UNUSEDPARAM */
  , parameter [0:0] MUTANT_SITE = 1'b0
    /* verilator lint_on UNUSEDPARAM */
`endif
) (
    input                      clk,
    input                      rst,
    input                      mode_os,
    input      [ACT_BITS-1:0]  act_in,
    input                      act_valid_in,
    input                      act_tag_in,
    output reg [ACT_BITS-1:0]  act_out,
    output reg                 act_valid_out,
    output reg                 act_tag_out,
    input      [WGT_BITS-1:0]  wgt_in,
    input                      wgt_valid_in,
    output reg [WGT_BITS-1:0]  wgt_out,
    output reg                 wgt_valid_out,
    input      [PSUM_BITS-1:0] psum_in,
    input                      psum_valid_in,
    output reg [PSUM_BITS-1:0] psum_out,
    output reg                 psum_valid_out,
    output reg                 overflow
);
    reg [WGT_BITS-1:0]  weight_active;
    reg [WGT_BITS-1:0]  weight_shadow;
    reg                 shadow_full;
    reg [PSUM_BITS-1:0] acc;
    reg [PSUM_BITS-1:0] drain;
    reg                 drain_full;
`ifdef MUTANT_STUCK_WEIGHT
    reg                 loaded_once;
`endif
`ifdef MUTANT_PE_ADDER_BIT
    // Mutation: the targeted PE's adder flips its least significant bit.
    localparam signed [PSUM_BITS-1:0] SUM_FLIP = {{(PSUM_BITS-1){1'b0}}, MUTANT_SITE};
`else
    localparam signed [PSUM_BITS-1:0] SUM_FLIP = {PSUM_BITS{1'b0}};
`endif

    // The activation as a signed operand (an unsigned one gets a zero sign bit). In the sums below
    // every operand is signed (SUM_FLIP too), so each is sign-extended to PSUM_BITS first: exact.
    wire signed [ACT_BITS:0] act_operand = ACT_SIGNED != 0 ? $signed({act_in[ACT_BITS-1], act_in})
                                                          : $signed({1'b0, act_in});

    // One multiplier and one adder serve both dataflows: WS multiplies the activation with the
    // stationary weight (the shadow one on a fold's first activation) and adds the partial sum
    // from the north; OS multiplies it with the weight arriving from the north and adds the
    // accumulator. They are computed in the clocked block, once per cycle (continuous assignments
    // would be re-evaluated on every change of their inputs: Icarus ran them 25-30% slower), and
    // only the selected dataflow's branch updates registers. Data registers are not reset (each use is
    // qualified by a valid bit or loaded by the tag first); valid bits and control state are.
    /* verilator lint_off BLKSEQ */
    always @(posedge clk) begin : step
        reg                 first_of_fold;  // WS: swap weights; OS: the fold's last step, drain
        reg                 keep_weight;    // WS: the arriving weight goes into the shadow
        reg [PSUM_BITS-1:0] product;
        reg [PSUM_BITS-1:0] sum;
        reg [PSUM_BITS-1:0] overflow_bits;
        first_of_fold = act_valid_in && act_tag_in;
        keep_weight   = wgt_valid_in && (!shadow_full || first_of_fold);
        product       = act_operand * $signed(mode_os ? wgt_in : (first_of_fold ? weight_shadow : weight_active));
        sum           = ((mode_os ? acc : psum_in) + product) ^ SUM_FLIP;

        act_out     <= act_in;
        act_tag_out <= act_tag_in;
        wgt_out     <= wgt_in;
        if (rst) begin
            act_valid_out  <= 1'b0;
            wgt_valid_out  <= 1'b0;
            psum_valid_out <= 1'b0;
            shadow_full    <= 1'b0;
            acc            <= {PSUM_BITS{1'b0}};
            drain_full     <= 1'b0;
            overflow       <= 1'b0;
`ifdef MUTANT_STUCK_WEIGHT
            loaded_once    <= 1'b0;
`endif
        end else begin
            act_valid_out <= act_valid_in;
            if (mode_os) begin
                wgt_valid_out  <= wgt_valid_in;
                psum_valid_out <= psum_valid_in || drain_full;
                psum_out       <= psum_valid_in ? psum_in : drain;
                drain_full     <= first_of_fold || (drain_full && psum_valid_in);
                if (act_valid_in) begin
                    // A signed add overflows when both operands' signs differ from the sum's.
                    overflow_bits = (acc ^ sum) & (product ^ sum);
                    overflow <= overflow || overflow_bits[PSUM_BITS-1];
                    acc <= act_tag_in ? {PSUM_BITS{1'b0}} : sum;
                    if (act_tag_in) begin
                        drain <= sum;
                    end
                end
            end else begin
                wgt_valid_out  <= wgt_valid_in && !keep_weight;
                psum_valid_out <= act_valid_in;
                shadow_full    <= keep_weight || (shadow_full && !first_of_fold);
                if (act_valid_in) begin
                    psum_out <= sum;
                end
                if (first_of_fold) begin
                    weight_active <= weight_shadow;
                end
`ifdef MUTANT_STUCK_WEIGHT
                // Mutation: the targeted PE keeps the first weight it ever loads.
                if (keep_weight && (!MUTANT_SITE || !loaded_once)) begin
                    weight_shadow <= wgt_in;
                end
                if (keep_weight) begin
                    loaded_once <= 1'b1;
                end
`else
                if (keep_weight) begin
                    weight_shadow <= wgt_in;
                end
`endif
            end
        end
    end
    /* verilator lint_on BLKSEQ */
endmodule
