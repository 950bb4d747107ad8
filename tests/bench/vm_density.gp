# How many 1 GiB VMs with a device each run together in a 3 GiB cgroup.
set terminal png size 640,400 noenhanced
set output out
set datafile separator ","
set style data histograms
set style fill solid 0.6
set boxwidth 0.6
set grid ytics
set yrange [0:*]
set ylabel "1 GiB VMs running their workload together"
set title "Density in a 3 GiB memory cgroup (edu per VM)"
plot in skip 1 using 4:xtic(1) notitle
