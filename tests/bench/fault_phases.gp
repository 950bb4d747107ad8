# Where a fault's time goes, per policy and mode: stacked ns per fault.
set terminal png size 1000,500 noenhanced
set output out
set datafile separator ","
set style data histograms
set style histogram rowstacked
set style fill solid 0.8 border -1
set boxwidth 0.7
set grid ytics
set key outside right autotitle columnhead
set xtics rotate by -30
set ylabel "ns per fault"
set title "Where a fault's time goes (per fault; batch phases spread over their faults)"
plot in using 7:xtic(stringcolumn(1)." ".stringcolumn(2)) title "lookup", \
     '' using 8 title "policy", \
     '' using 9 title "pin", \
     '' using 10 title "map", \
     '' using 11 title "sync", \
     '' using 12 title "response"
