// Output FIFO: one sync_fifo per array column. Columns deliver their results on different cycles
// (the array's skew); a row of results is read out only once every column has its word, which
// undoes the skew. row_valid = every column has a word; rd_en pops one word from each.
module ofifo #(
    parameter COLS       = 8,
    parameter WIDTH      = 16,
    parameter DEPTH_BITS = 4
) (
    input                   clk,
    input                   rst,
    input  [COLS-1:0]       wr_en,
    input  [COLS*WIDTH-1:0] wr_data,
    input                   rd_en,
    output [COLS*WIDTH-1:0] rd_data,
    output                  row_valid,
    output                  empty,
    output                  overflow
);
    wire [COLS-1:0] column_empty;
    wire [COLS-1:0] column_overflow;

    genvar c;
    generate
        for (c = 0; c < COLS; c = c + 1) begin : g_column
            sync_fifo #(
                .WIDTH     (WIDTH),
                .DEPTH_BITS(DEPTH_BITS)
            ) u_fifo (
                .clk     (clk),
                .rst     (rst),
                .wr_en   (wr_en[c]),
                .wr_data (wr_data[c*WIDTH +: WIDTH]),
                .rd_en   (rd_en && row_valid),
                .rd_data (rd_data[c*WIDTH +: WIDTH]),
                .empty   (column_empty[c]),
                /* verilator lint_off PINCONNECTEMPTY */
                .full    (),
                /* verilator lint_on PINCONNECTEMPTY */
                .overflow(column_overflow[c])
            );
        end
    endgenerate

    assign row_valid = ~|column_empty;
    assign empty     = &column_empty;
    assign overflow  = |column_overflow;
endmodule
