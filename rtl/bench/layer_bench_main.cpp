// Verilator main for rtl/bench/layer_bench.v: drives the clock and nothing else, so that no
// scheduler for delays is needed (faster than a --timing build with a Verilog clock).
#include <memory>

#include "Vlayer_bench.h"
#include "verilated.h"

int main(int argc, char** argv) {
    const std::unique_ptr<VerilatedContext> context{new VerilatedContext};
    context->commandArgs(argc, argv);
    const std::unique_ptr<Vlayer_bench> bench{new Vlayer_bench{context.get()}};
    bench->clk = 0;
    bench->eval();
    while (!context->gotFinish()) {
        context->timeInc(1);
        bench->clk = 1;
        bench->eval();
        context->timeInc(1);
        bench->clk = 0;
        bench->eval();
    }
    bench->final();
    return 0;
}
