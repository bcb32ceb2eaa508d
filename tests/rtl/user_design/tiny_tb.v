// A user's own test bench, in the course's style, for the tests of qaccel.rtl.user_bench: it reads
// out.txt in the folder it runs in, sends field 0 of every line through tiny_core and checks that
// the same value comes back. It prints "tiny_tb PASS: ..." or "tiny_tb FAIL: ..." lines and ends
// with $finish either way (exit status 0): only the pass pattern tells a failure.
module tiny_tb;
    reg clk = 1'b0;
    always #5 clk = ~clk;

    reg          rst, in_valid;
    reg  [31:0]  in_data;
    wire         out_valid;
    wire [31:0]  out_data;
    reg  [16383:0] line;
    reg  [8*64-1:0] header;
    integer fd, code, lines, errors, cycles, psum_bits;

    tiny_core core_instance (
        .clk      (clk),
        .rst      (rst),
        .in_valid (in_valid),
        .in_data  (in_data),
        .out_valid(out_valid),
        .out_data (out_data)
    );

    initial begin
        if (!$value$plusargs("psum_bits=%d", psum_bits)) psum_bits = 16;
        fd = $fopen("out.txt", "r");
        if (fd == 0) begin
            $display("tiny_tb FAIL: cannot open out.txt");
            $finish;
        end
        code = $fscanf(fd, "%s", header);
        code = $fscanf(fd, "%s", header);
        code = $fscanf(fd, "%s", header);
        rst = 1'b1;
        in_valid = 1'b0;
        in_data = 32'd0;
        lines = 0;
        errors = 0;
        cycles = 0;
        @(negedge clk);
        rst = 1'b0;
        while ($fscanf(fd, "%b", line) == 1) begin
            in_data  = line[31:0] & ((32'd1 << psum_bits) - 32'd1);
            in_valid = 1'b1;
            @(negedge clk);
            in_valid = 1'b0;
            cycles = cycles + 1;
            while (!out_valid) begin
                @(negedge clk);
                cycles = cycles + 1;
            end
            if (out_data !== in_data) begin
                errors = errors + 1;
                $display("tiny_tb FAIL: out.txt line %0d: expected %0d, got %0d", lines + 4, in_data, out_data);
            end
            lines = lines + 1;
        end
        if (errors == 0) $display("tiny_tb PASS: %0d lines of out.txt, cycles %0d", lines, cycles);
        $finish;
    end
endmodule
