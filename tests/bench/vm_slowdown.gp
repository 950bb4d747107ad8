# A streaming DMA workload in the VM: pinned against on fault.
set terminal png size 640,400 noenhanced
set output out
set datafile separator ","
set style data histograms
set style fill solid 0.6
set boxwidth 0.6
set grid ytics
set yrange [0:*]
set ylabel "workload seconds (median)"
set title "Streaming DMA in the VM: pinned vs on fault"
plot in skip 1 using 2:xtic(1) notitle
