module rsk

go 1.19
