# Faults and wasted pages per policy for each workload (injection path).
set terminal png size 1100,600 noenhanced
set output out
set style data histograms
set style histogram clustered gap 1
set style fill solid 0.8 border -1
set logscale y
set yrange [0.5:*]
set key outside right top
set xtics rotate by -30
set grid ytics
set multiplot layout 2,1
set title "Faults per policy and workload (injection path, fewer is better)"
plot for [i=2:6] faults using i:xtic(1) title columnhead(i)
set title "Pages mapped but never touched, + 1 for the log scale (waste, fewer is better)"
plot for [i=2:6] wasted using (column(i) + 1):xtic(1) title columnhead(i)
unset multiplot
