# Device-visible retries on the edu device per policy and workload.
set terminal png size 900,450 noenhanced
set output out
set style data histograms
set style histogram clustered gap 1
set style fill solid 0.8 border -1
set key outside right top
set grid ytics
set yrange [0:*]
set title "edu: DMAs the device had to retry (fewer is better)"
plot for [i=2:4] retries using i:xtic(1) title columnhead(i)
