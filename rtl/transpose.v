// OS im2col by addressing, second half: the sequencer reads a block of LANES words, one per pixel
// of a pixel tile (lane = channel); this block turns it into LANES words, one per channel (lane =
// pixel), which is what an OS array row takes. Words arrive one per cycle and a block's words
// arrive back to back (the sequencer streams an OS fold without gaps, LANES words per block).
//
// Word i of the stream leaves exactly LANES cycles after it arrived, with its valid and tag bits:
// a block's last word completes it, the block moves into the drain register, and the drain
// register shifts out one channel per cycle while the next block fills (so a block's channel c is
// the (c+1)-th word out). Only the valid bits and the fill count are reset.
module transpose #(
    parameter LANES = 8,
    parameter WIDTH = 8
) (
    input                    clk,
    input                    rst,
    input                    in_valid,
    input                    in_tag,
    input  [LANES*WIDTH-1:0] in_data,   // lane c: channel c of one pixel
    output                   out_valid,
    output                   out_tag,
    output [LANES*WIDTH-1:0] out_data,  // lane p: one channel of pixel p
    output                   busy
);
    localparam COUNT_BITS = (LANES > 1) ? $clog2(LANES) : 1;
    localparam [COUNT_BITS-1:0] LAST = LANES[COUNT_BITS-1:0] - 1'b1;
    localparam WORD = LANES*WIDTH;

    // Registers, not memories: every word is read at once when a block completes. Word p of `fill`
    // is pixel p as it arrived; word p of `drain` is pixel p's channels still to leave, lane 0 next.
    reg [LANES*WORD-1:0] fill;
    reg [LANES*WORD-1:0] drain;
    reg [COUNT_BITS-1:0] count;
    reg [LANES-1:0]      valid_delay, tag_delay;

    wire complete = in_valid && count == LAST;

    integer p;
    always @(posedge clk) begin
        valid_delay <= rst ? {LANES{1'b0}} : {valid_delay[LANES-2:0], in_valid};
        tag_delay   <= {tag_delay[LANES-2:0], in_tag};
        if (rst) begin
            count <= {COUNT_BITS{1'b0}};
        end else if (in_valid) begin
            count <= complete ? {COUNT_BITS{1'b0}} : count + 1'b1;
        end
        for (p = 0; p < LANES; p = p + 1) begin
            if (in_valid && {{(32-COUNT_BITS){1'b0}}, count} == p) begin
                fill[p*WORD +: WORD] <= in_data;
            end
            if (complete) begin
                drain[p*WORD +: WORD] <= (p == LANES - 1) ? in_data : fill[p*WORD +: WORD];
            end else begin
                drain[p*WORD +: WORD] <= drain[p*WORD +: WORD] >> WIDTH;
            end
        end
    end

    genvar lane;
    generate
        for (lane = 0; lane < LANES; lane = lane + 1) begin : g_lane
`ifdef MUTANT_TRANSPOSE_ORDER
            // Mutation: the last pixel's lane takes the channel one step ahead.
            if (lane == LANES - 1) begin : g_ahead
                assign out_data[lane*WIDTH +: WIDTH] = drain[lane*WORD + WIDTH +: WIDTH];
            end else begin : g_in_order
                assign out_data[lane*WIDTH +: WIDTH] = drain[lane*WORD +: WIDTH];
            end
`else
            assign out_data[lane*WIDTH +: WIDTH] = drain[lane*WORD +: WIDTH];
`endif
        end
    endgenerate
    assign out_valid = valid_delay[LANES-1];
    assign out_tag   = tag_delay[LANES-1];
    assign busy      = valid_delay != {LANES{1'b0}};
endmodule
