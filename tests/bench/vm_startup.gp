# VM start time (QEMU launch to the payload's first line) against guest RAM.
set terminal png size 800,450 noenhanced
set output out
set datafile separator ","
set style data linespoints
set grid
set yrange [0:*]
set xlabel "guest RAM (MiB)"
set ylabel "seconds to the payload's first line"
set title "Nested VM start: no device, edu pinned, edu on fault (medians)"
set key top left
plot in skip 1 using 1:2 title "no device", \
     in skip 1 using 1:3 title "edu, pinned (plain type1)", \
     in skip 1 using 1:4 title "edu, on fault (vm policy)"
