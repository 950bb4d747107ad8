# Cost per page: pin+map on injected fault vs eager VFIO_IOMMU_MAP_DMA.
set terminal png size 800,500 noenhanced
set output out
set datafile separator ","
set key autotitle columnhead top right
set logscale x 2
set xlabel "pages"
set ylabel "ns per page (median of rounds)"
set title "Fault-driven mapping vs eager MAP_DMA (guest, TCG)"
set grid
plot in using 1:2 with linespoints title "eager MAP_DMA", \
     in using 1:3 with linespoints title "IOPF (injected faults)"
