# Time per fault, one fault at a time: built-in C default vs the same
# decisions in BPF (bare: the same work; default: plus statistics), per
# round, interleaved.
set terminal png size 800,450 noenhanced
set output out
set datafile separator ","
set style data linespoints
set grid
set key autotitle columnhead
set yrange [0:*]
set xlabel "round"
set ylabel "ns per fault (kernel handling)"
set title "Built-in default vs the same decisions in BPF (interleaved rounds)"
plot in using 1:2 title "built-in (C)", \
     in using 1:3 title "bpf/bare", \
     in using 1:4 title "bpf/default"
