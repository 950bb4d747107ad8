# Time per fault: built-in C default vs bpf/default, per round.
set terminal png size 800,450 noenhanced
set output out
set datafile separator ","
set style data linespoints
set grid
set yrange [0:*]
set xlabel "round"
set ylabel "ns per fault"
set title "Built-in default vs the same decisions in BPF (alternating rounds)"
plot "< grep -v median ".in using 1:2 title "built-in (C)", \
     "< grep -v median ".in using 1:3 title "bpf/default"
