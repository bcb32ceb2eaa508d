"""qaccel: a 4-bit QAT VGG16 on CIFAR-10 down to WS/OS systolic-array vectors."""
