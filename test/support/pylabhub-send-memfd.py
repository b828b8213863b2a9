# Step 6 of pylabhub's shared-memory hand-over, producer side, for the tests of
# main/pylabhub/shm-handover.ts: Node cannot send SCM_RIGHTS, so the test's
# producer double (pylabhub-shm-producer.ts) passes the accepted connection to
# this script as fd 3. It copies a DataBlock image into a memfd, as a pylabhub
# role host lays its segment out, and sends it with one data byte.
#   argv: <mode one|two|zero> <image file>
import array
import os
import socket
import sys

mode, image_path = sys.argv[1], sys.argv[2]
sock = socket.socket(fileno=3)
with open(image_path, "rb") as f:
    image = f.read()


def memfd() -> int:
    fd = os.memfd_create("plh_shm_capability", os.MFD_CLOEXEC)
    os.ftruncate(fd, len(image))
    os.pwrite(fd, image, 0)
    return fd


fds = {"one": [memfd()], "two": [memfd(), memfd()], "zero": []}[mode]
ancillary = [(socket.SOL_SOCKET, socket.SCM_RIGHTS, array.array("i", fds))] if fds else []
try:
    sock.sendmsg([b"\0"], ancillary)
    print("sent", len(fds), flush=True)
except OSError as err:  # the consumer may have hung up already (it refused us)
    print("send failed:", err, flush=True)
for fd in fds:
    os.close(fd)
sock.close()
