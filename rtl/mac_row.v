// One row of the systolic array: COLS processing elements (PEs), lane c the row's column c.
//
// Three links pass through a PE, one PE per cycle, each a word with its valid bit: activations
// west -> east (with the fold tag) from lane to lane, weights north -> south and partial sums
// north -> south, from row to row. Operands injected with a diagonal skew meet in every PE on the
// same cycle.
//
// Weight stationary (mode_os = 0). Two weight registers per PE: `active` multiplies, `shadow` holds
// the next fold's weight. A preload wave arrives on the weight link while the current fold streams:
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
// when nothing arrives and its drain register is full, puts that register on the bus (the bus
// register loads only a valid word). A column therefore emits rows
// 0, 1, ..., ROWS-1 on consecutive cycles; row r holds its result r + 1 cycles, so folds start at
// least ROWS cycles apart (the sequencer's fold period).
//
// Arithmetic, per PE: one multiplier and one adder serve both dataflows. The activation is sign-
// (ACT_SIGNED) or zero-extended to ACT_BITS + 1 bits and the weight sign-extended; their product is
// exact and sign-extended to PSUM_BITS. Adds wrap modulo 2^PSUM_BITS. A WS column adds ROWS
// products, which the core's parameters guarantee to fit (rtl/README.md); an OS accumulator adds a
// whole layer's worth, so `overflow` goes high (sticky until reset) when an add of one of the row's
// PEs overflowed.
//
// Why a row and not a module per PE: each per-PE bit (valid bits, tags, shadow and drain full) is
// a bit of a COLS-bit vector and each per-PE word a lane's slice of a row register, so a simulator
// updates a row's control in a few word operations. Verilator ran the whole network 1.5x faster than
// with one module per PE; the hardware per lane is the same. Only the valid bits, the control state
// and the accumulators are reset: every data register is qualified by a valid bit or loaded by the
// tag before it is used.
module mac_row #(
    parameter COLS       = 8,
    parameter ACT_BITS   = 8,
    parameter WGT_BITS   = 4,
    parameter PSUM_BITS  = 32,
    parameter ACT_SIGNED = 1
`ifdef QACCEL_MUTANTS
    // Mutation builds only (rtl/README.md, "Mutation check"): the lane a PE mutation targets, -1 for
    // none (unused by the mutations of other blocks).
    /* verilator lint_off UNUSEDPARAM */
  , parameter integer MUTANT_LANE = -1
    /* verilator lint_on UNUSEDPARAM */
`endif
) (
    input                           clk,
    input                           rst,
    input                           mode_os,
    input      [ACT_BITS-1:0]       west_act,
    input                           west_valid,
    input                           west_tag,
    output     [ACT_BITS-1:0]       east_act,
    output                          east_valid,
    output                          east_tag,
    input      [COLS*WGT_BITS-1:0]  north_wgt,
    input      [COLS-1:0]           north_wgt_valid,
    input      [COLS*PSUM_BITS-1:0] north_psum,
    input      [COLS-1:0]           north_psum_valid,
    output reg [COLS*WGT_BITS-1:0]  south_wgt,
    output reg [COLS-1:0]           south_wgt_valid,
    output reg [COLS*PSUM_BITS-1:0] south_psum,
    output reg [COLS-1:0]           south_psum_valid,
    output reg                      overflow
);
    // Each PE's activation link register; lane c's input is lane c-1's register, lane 0's the west edge.
    reg [COLS*ACT_BITS-1:0]  act_out;
    reg [COLS-1:0]           act_valid_out;
    reg [COLS-1:0]           act_tag_out;
    reg [COLS*WGT_BITS-1:0]  weight_active;
    reg [COLS*WGT_BITS-1:0]  weight_shadow;
    reg [COLS-1:0]           shadow_full;
    reg [COLS*PSUM_BITS-1:0] acc;
    reg [COLS*PSUM_BITS-1:0] drain;
    reg [COLS-1:0]           drain_full;
`ifdef MUTANT_STUCK_WEIGHT
    reg [COLS-1:0]           loaded_once;
`endif

    // The last lane's registers leave on the east edge, not through the chain.
    /* verilator lint_off UNUSEDSIGNAL */
    wire [(COLS+1)*ACT_BITS-1:0] act_chain       = {act_out, west_act};
    wire [COLS:0]                act_valid_chain = {act_valid_out, west_valid};
    wire [COLS:0]                act_tag_chain   = {act_tag_out, west_tag};
    /* verilator lint_on UNUSEDSIGNAL */
    wire [COLS*ACT_BITS-1:0]     act_in          = act_chain[COLS*ACT_BITS-1:0];
    wire [COLS-1:0]              act_valid_in    = act_valid_chain[COLS-1:0];
    wire [COLS-1:0]              act_tag_in      = act_tag_chain[COLS-1:0];
    // WS: swap weights; OS: the fold's last step, drain.
    wire [COLS-1:0]              first_of_fold   = act_valid_in & act_tag_in;
    // WS: the arriving weight goes into the shadow.
    wire [COLS-1:0]              keep_weight     = north_wgt_valid & (~shadow_full | first_of_fold);

    assign east_act   = act_out[(COLS-1)*ACT_BITS +: ACT_BITS];
    assign east_valid = act_valid_out[COLS-1];
    assign east_tag   = act_tag_out[COLS-1];

    // Zero, except in the mutation MUTANT_PE_ADDER_BIT: the targeted PE's adder flips its least
    // significant bit.
    /* verilator lint_off UNUSEDSIGNAL */
    function [PSUM_BITS-1:0] sum_flip(input integer lane);
`ifdef MUTANT_PE_ADDER_BIT
        sum_flip = {{(PSUM_BITS-1){1'b0}}, lane == MUTANT_LANE};
`else
        sum_flip = {PSUM_BITS{1'b0}};
`endif
    endfunction
    /* verilator lint_on UNUSEDSIGNAL */

    // A lane's multiplier and adder operands. One multiplier and one adder per PE serve both
    // dataflows: both branches below compute the same product and sum of these, which synthesis
    // merges (a mode-dependent operand in each branch would give each branch its own multiplier).
    function [WGT_BITS-1:0] lane_weight(input integer lane);  // OS: the arriving one; WS: the stationary one
        lane_weight = mode_os ? north_wgt[lane*WGT_BITS +: WGT_BITS]
                    : first_of_fold[lane] ? weight_shadow[lane*WGT_BITS +: WGT_BITS]
                                          : weight_active[lane*WGT_BITS +: WGT_BITS];
    endfunction
    // OS: the accumulators; WS: the partial sums from the north. A wire, so that the clocked block
    // does not read `acc`, which it writes lane by lane (Verilator would copy the whole row
    // register twice a cycle: 3% of a whole-network run).
    wire [COLS*PSUM_BITS-1:0] addend = mode_os ? acc : north_psum;

    // The activation as a signed operand (an unsigned one gets a zero sign bit).
    function signed [ACT_BITS:0] operand(input [ACT_BITS-1:0] act);
        operand = ACT_SIGNED != 0 ? $signed({act[ACT_BITS-1], act}) : $signed({1'b0, act});
    endfunction

    // The lanes' products and sums are computed in the clocked block, once per cycle (continuous
    // assignments would be re-evaluated on every change of their inputs: Icarus ran them 25-30%
    // slower), in the selected dataflow's branch. In the sums every operand is signed, so each is
    // sign-extended to PSUM_BITS first: exact.
    /* verilator lint_off BLKSEQ */
    always @(posedge clk) begin : step
        integer             lane;
        reg [PSUM_BITS-1:0] product;
        reg [PSUM_BITS-1:0] sum;
        reg [PSUM_BITS-1:0] overflow_bits;  // OS: bit PSUM_BITS-1 set by a lane's add that overflowed

        act_out     <= act_in;
        act_tag_out <= act_tag_in;
        south_wgt   <= north_wgt;
        if (rst) begin
            act_valid_out    <= {COLS{1'b0}};
            south_wgt_valid  <= {COLS{1'b0}};
            south_psum_valid <= {COLS{1'b0}};
            shadow_full      <= {COLS{1'b0}};
            acc              <= {COLS*PSUM_BITS{1'b0}};
            drain_full       <= {COLS{1'b0}};
            overflow         <= 1'b0;
`ifdef MUTANT_STUCK_WEIGHT
            loaded_once      <= {COLS{1'b0}};
`endif
        end else if (mode_os) begin
            act_valid_out    <= act_valid_in;
            south_wgt_valid  <= north_wgt_valid;
            south_psum_valid <= north_psum_valid | drain_full;
            drain_full       <= first_of_fold | (drain_full & north_psum_valid);
            overflow_bits = {PSUM_BITS{1'b0}};
            for (lane = 0; lane < COLS; lane = lane + 1) begin
                product = operand(act_in[lane*ACT_BITS +: ACT_BITS]) * $signed(lane_weight(lane));
                sum     = (addend[lane*PSUM_BITS +: PSUM_BITS] + product) ^ sum_flip(lane);
                // The drain bus: what arrives from the north, else this PE's drain register (loaded
                // only when one of them is valid).
                if (north_psum_valid[lane]) begin
                    south_psum[lane*PSUM_BITS +: PSUM_BITS] <= north_psum[lane*PSUM_BITS +: PSUM_BITS];
                end else if (drain_full[lane]) begin
                    south_psum[lane*PSUM_BITS +: PSUM_BITS] <= drain[lane*PSUM_BITS +: PSUM_BITS];
                end
                if (act_valid_in[lane]) begin
                    // A signed add overflows when both operands' signs differ from the sum's.
                    overflow_bits = overflow_bits | ((addend[lane*PSUM_BITS +: PSUM_BITS] ^ sum) & (product ^ sum));
                    acc[lane*PSUM_BITS +: PSUM_BITS] <= act_tag_in[lane] ? {PSUM_BITS{1'b0}} : sum;
                    if (act_tag_in[lane]) begin
                        drain[lane*PSUM_BITS +: PSUM_BITS] <= sum;
                    end
                end
            end
            overflow <= overflow | overflow_bits[PSUM_BITS-1];
        end else begin
            act_valid_out    <= act_valid_in;
            south_wgt_valid  <= north_wgt_valid & ~keep_weight;
            south_psum_valid <= act_valid_in;
            shadow_full      <= keep_weight | (shadow_full & ~first_of_fold);
`ifdef MUTANT_STUCK_WEIGHT
            loaded_once      <= loaded_once | keep_weight;
`endif
            for (lane = 0; lane < COLS; lane = lane + 1) begin
                product = operand(act_in[lane*ACT_BITS +: ACT_BITS]) * $signed(lane_weight(lane));
                sum     = (addend[lane*PSUM_BITS +: PSUM_BITS] + product) ^ sum_flip(lane);
                if (act_valid_in[lane]) begin
                    south_psum[lane*PSUM_BITS +: PSUM_BITS] <= sum;
                end
                if (first_of_fold[lane]) begin
                    weight_active[lane*WGT_BITS +: WGT_BITS] <= weight_shadow[lane*WGT_BITS +: WGT_BITS];
                end
`ifdef MUTANT_STUCK_WEIGHT
                // Mutation: the targeted PE keeps the first weight it ever loads.
                if (keep_weight[lane] && (lane != MUTANT_LANE || !loaded_once[lane])) begin
`else
                if (keep_weight[lane]) begin
`endif
                    weight_shadow[lane*WGT_BITS +: WGT_BITS] <= north_wgt[lane*WGT_BITS +: WGT_BITS];
                end
            end
        end
    end
    /* verilator lint_on BLKSEQ */
endmodule
