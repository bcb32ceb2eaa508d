// Special-function unit: accumulates partial sums read from the psum memory and writes one output
// word per command, with ReLU when the command asks for it.
//
// A command (base, out_addr, relu) sums the psum words at
//     base + i0*stride0 + i1*stride1 + i2*stride2,  i0 < count0, i1 < count1, i2 < count2
// lane by lane (LANES lanes of PSUM_BITS, two's complement, wrapping modulo 2^PSUM_BITS) and
// writes the result to output address out_addr. The three nested loops cover WS accumulation
// (input-channel tile x ki x kj, which gathers each output pixel's nine shifted psums) and, with
// all counts 1, the OS pass-through of a drained tile. Counts must be at least 1.
//
// Pipeline: the address generator issues one read per cycle; the read data returns a cycle later
// into the accumulator; the last term's sum is registered onto the output write port.
// cmd_ready is high when the address generator can take the next command.
module sfp #(
    parameter LANES     = 8,
    parameter PSUM_BITS = 16,
    parameter ADDR_BITS = 10
) (
    input                          clk,
    input                          rst,
    input      [ADDR_BITS-1:0]     count0,
    input      [ADDR_BITS-1:0]     count1,
    input      [ADDR_BITS-1:0]     count2,
    input      [ADDR_BITS-1:0]     stride0,
    input      [ADDR_BITS-1:0]     stride1,
    input      [ADDR_BITS-1:0]     stride2,
    input                          cmd_valid,
    input      [ADDR_BITS-1:0]     cmd_base,
    input      [ADDR_BITS-1:0]     cmd_out_addr,
    input                          cmd_relu,
    output                         cmd_ready,
    output                         psum_rd_en,
    output     [ADDR_BITS-1:0]     psum_rd_addr,
    input      [LANES*PSUM_BITS-1:0] psum_rd_data,
    output reg                     out_wr_en,
    output reg [ADDR_BITS-1:0]     out_wr_addr,
    output reg [LANES*PSUM_BITS-1:0] out_wr_data,
    output                         busy
);
    // Address generator state: loop indices and the running address of each loop level.
    reg                 gen_active;
    reg [ADDR_BITS-1:0] index0, index1, index2;
    reg [ADDR_BITS-1:0] addr0, addr1, addr2;
    reg [ADDR_BITS-1:0] gen_out_addr;
    reg                 gen_relu;

    wire last0 = index0 == count0 - 1'b1;
    wire last1 = index1 == count1 - 1'b1;
    wire last2 = index2 == count2 - 1'b1;
    wire gen_first = index0 == {ADDR_BITS{1'b0}} && index1 == {ADDR_BITS{1'b0}}
                  && index2 == {ADDR_BITS{1'b0}};
    wire gen_last = last0 && last1 && last2;

    assign cmd_ready    = !gen_active;
    assign psum_rd_en   = gen_active;
    assign psum_rd_addr = addr2;

    always @(posedge clk) begin
        if (rst) begin
            gen_active   <= 1'b0;
            index0       <= {ADDR_BITS{1'b0}};
            index1       <= {ADDR_BITS{1'b0}};
            index2       <= {ADDR_BITS{1'b0}};
            addr0        <= {ADDR_BITS{1'b0}};
            addr1        <= {ADDR_BITS{1'b0}};
            addr2        <= {ADDR_BITS{1'b0}};
            gen_out_addr <= {ADDR_BITS{1'b0}};
            gen_relu     <= 1'b0;
        end else if (!gen_active) begin
            if (cmd_valid) begin
                gen_active   <= 1'b1;
                index0       <= {ADDR_BITS{1'b0}};
                index1       <= {ADDR_BITS{1'b0}};
                index2       <= {ADDR_BITS{1'b0}};
                addr0        <= cmd_base;
                addr1        <= cmd_base;
                addr2        <= cmd_base;
                gen_out_addr <= cmd_out_addr;
                gen_relu     <= cmd_relu;
            end
        end else if (!last2) begin
            index2 <= index2 + 1'b1;
            addr2  <= addr2 + stride2;
        end else if (!last1) begin
            index2 <= {ADDR_BITS{1'b0}};
            index1 <= index1 + 1'b1;
            addr1  <= addr1 + stride1;
            addr2  <= addr1 + stride1;
        end else if (!last0) begin
            index2 <= {ADDR_BITS{1'b0}};
            index1 <= {ADDR_BITS{1'b0}};
            index0 <= index0 + 1'b1;
            addr0  <= addr0 + stride0;
            addr1  <= addr0 + stride0;
            addr2  <= addr0 + stride0;
        end else begin
            gen_active <= 1'b0;
        end
    end

    // Read-data stage: what was issued one cycle ago, aligned with psum_rd_data.
    reg                 term_valid;
    reg                 term_first;
    reg                 term_last;
    reg [ADDR_BITS-1:0] term_out_addr;
    reg                 term_relu;
    reg [LANES*PSUM_BITS-1:0] acc_q;
    reg [LANES*PSUM_BITS-1:0] sum;
    reg [LANES*PSUM_BITS-1:0] activated;
    integer lane;

    always @(*) begin
        for (lane = 0; lane < LANES; lane = lane + 1) begin
            sum[lane*PSUM_BITS +: PSUM_BITS] = psum_rd_data[lane*PSUM_BITS +: PSUM_BITS]
                + (term_first ? {PSUM_BITS{1'b0}} : acc_q[lane*PSUM_BITS +: PSUM_BITS]);
            activated[lane*PSUM_BITS +: PSUM_BITS] =
                (term_relu && sum[lane*PSUM_BITS + PSUM_BITS - 1])
                ? {PSUM_BITS{1'b0}} : sum[lane*PSUM_BITS +: PSUM_BITS];
        end
    end

    always @(posedge clk) begin
        if (rst) begin
            term_valid    <= 1'b0;
            term_first    <= 1'b0;
            term_last     <= 1'b0;
            term_out_addr <= {ADDR_BITS{1'b0}};
            term_relu     <= 1'b0;
            acc_q         <= {(LANES*PSUM_BITS){1'b0}};
            out_wr_en     <= 1'b0;
            out_wr_addr   <= {ADDR_BITS{1'b0}};
            out_wr_data   <= {(LANES*PSUM_BITS){1'b0}};
        end else begin
            term_valid <= gen_active;
            if (gen_active) begin
                term_first    <= gen_first;
                term_last     <= gen_last;
                term_out_addr <= gen_out_addr;
                term_relu     <= gen_relu;
            end
            out_wr_en <= term_valid && term_last;
            if (term_valid) begin
                acc_q <= sum;
                if (term_last) begin
                    out_wr_addr <= term_out_addr;
                    out_wr_data <= activated;
                end
            end
        end
    end

    assign busy = gen_active || term_valid || out_wr_en;
endmodule
