#!/bin/bash
# Offline test images: the same ansible/image.yml as the Ubuntu images, on Debian 12 built with
# debootstrap, so CI can build and boot them without Ubuntu's servers. Two flavours (CLAWBOX_IMAGE_FLAVOUR):
#   cpu (default): amd64; debootstrap (tarball cached) → GPT disk: EFI system partition + ext4 root →
#     ansible/image.yml through the chroot connection (flavour cpu) → GRUB (EFI, removable path).
#   rpi: arm64 for the Raspberry Pi 4; debootstrap --arch=arm64 run through qemu-user-static (binfmt_misc) →
#     MBR disk: FAT boot partition (/boot/firmware: Debian's raspi-firmware files, config.txt, cmdline.txt,
#     kernel, initrd, device trees) + ext4 root → ansible/image.yml (flavour rpi). No GRUB: the Pi's firmware
#     reads config.txt and starts the kernel itself.
#   Both → .img + .img.xz + .sha256 + manifest (image/finalize-artifact.sh).
# Usage (root): image/build-test-image.sh [OUT_DIR]   env: CLAWBOX_IMAGE_FLAVOUR (cpu | rpi),
#   CLAWBOX_CACHE_DIR, CLAWBOX_DISK_SIZE,
#   CLAWBOX_MIRROR, CLAWBOX_IDEMPOTENCE=1 (run the playbook twice; fail if the second run changes anything),
#   CLAWBOX_PRESEED_MODEL (a GGUF copied into /var/lib/clawbox/models), CLAWBOX_ADMIN_KEY (a public key),
#   CLAWBOX_XZ_LEVEL (xz preset for the artifact, default 1).
# Prints the time of each stage ("stage <name>: <seconds> s").
set -euo pipefail
cd "$(dirname "$0")/.."
REPO=$PWD
OUT=${1:-$REPO/artifacts}
CACHE=${CLAWBOX_CACHE_DIR:-$REPO/.cache/image}
DISK_SIZE=${CLAWBOX_DISK_SIZE:-4G}
MIRROR=${CLAWBOX_MIRROR:-http://deb.debian.org/debian}
FLAVOUR=${CLAWBOX_IMAGE_FLAVOUR:-cpu}
SUITE=bookworm
VERSION=$(node -p 'require("./agent/package.json").version')
NAME=clawbox-$VERSION-debian12-$FLAVOUR
IMG=$OUT/$NAME.img
# Packages debootstrap puts in the base tarball: kernel, boot loader or firmware, and what Ansible needs
# (the list keys the cached base system, so cpu's is kept as it was).
case "$FLAVOUR" in
  cpu)
    ARCH=amd64 NODE_ARCH=x64 COMPONENTS=main TARBALL_NAME=debootstrap-$SUITE-amd64.tar.gz
    INCLUDE=linux-image-amd64,systemd-sysv,udev,dbus,grub-efi-amd64,initramfs-tools,python3,python3-apt,ca-certificates,sudo,locales,apt-utils,kmod,iproute2,ifupdown,isc-dhcp-client
    ;;
  rpi)
    # raspi-firmware (the Pi's boot firmware and its kernel hooks) and firmware-brcm80211 (the Pi's Wi-Fi)
    # are in Debian 12's non-free-firmware component.
    ARCH=arm64 NODE_ARCH=arm64 COMPONENTS=main,non-free-firmware TARBALL_NAME=debootstrap-$SUITE-arm64-rpi.tar.gz
    INCLUDE=linux-image-arm64,raspi-firmware,firmware-brcm80211,dosfstools,systemd-sysv,udev,dbus,initramfs-tools,python3,python3-apt,ca-certificates,sudo,locales,apt-utils,kmod,iproute2,ifupdown,isc-dhcp-client
    ;;
  *) echo "build-test-image: CLAWBOX_IMAGE_FLAVOUR must be cpu or rpi (got '$FLAVOUR')" >&2; exit 1 ;;
esac

[ "$(id -u)" = 0 ] || { echo "build-test-image: run as root (loop devices, chroot)" >&2; exit 1; }
for tool in debootstrap sgdisk sfdisk partx losetup mkfs.vfat mcopy mkfs.ext4 ansible-playbook xz; do
  command -v "$tool" >/dev/null || { echo "build-test-image: $tool missing: apt-get install debootstrap gdisk fdisk dosfstools mtools e2fsprogs ansible xz-utils" >&2; exit 1; }
done
# A foreign architecture (the arm64 image built on an amd64 host): its programs run through qemu-user-static,
# registered with binfmt_misc's F flag (the interpreter is opened at registration, so it works in a chroot),
# and the host's nft checks its firewall rules (see the playbook run below).
FOREIGN=$([ "$ARCH" != "$(dpkg --print-architecture)" ] && echo 1 || true)
if [ -n "$FOREIGN" ]; then
  command -v nft >/dev/null || { echo "build-test-image: nft missing (checks the $ARCH image's firewall rules): apt-get install nftables" >&2; exit 1; }
  qemu=/proc/sys/fs/binfmt_misc/qemu-aarch64
  [ -e /proc/sys/fs/binfmt_misc/register ] || mount -t binfmt_misc binfmt_misc /proc/sys/fs/binfmt_misc ||
    { echo "build-test-image: binfmt_misc cannot be mounted: the $ARCH chroot cannot run" >&2; exit 1; }
  [ -e "$qemu" ] || update-binfmts --enable qemu-aarch64 >/dev/null 2>&1 || true
  grep -qx enabled "$qemu" 2>/dev/null ||
    { echo "build-test-image: no binfmt_misc handler for $ARCH programs: apt-get install qemu-user-static binfmt-support" >&2; exit 1; }
fi
mkdir -p "$OUT" "$CACHE"

t0=$(date +%s)
stage() { local now; now=$(date +%s); echo "stage $1: $((now - t0)) s"; t0=$now; }

root=$(mktemp -d /tmp/clawbox-root.XXXXXX)
loops=()
cleanup() {
  set +e
  for m in dev/pts dev proc sys/firmware/efi/efivars sys run boot/efi; do
    mountpoint -q "$root/$m" && umount -l "$root/$m"
  done
  mountpoint -q "$root" && umount -l "$root"
  for l in "${loops[@]}"; do losetup -d "$l"; done
  loops=()
  rmdir "$root" 2>/dev/null
}
trap cleanup EXIT

# 1. Base system tarball (cached: a warm build skips the download), and the installed base system itself
# (cached too: debootstrap's second stage, ~2 min of dpkg and initramfs, runs once per package list).
# arm64 runs its second stage through qemu-user (see rpi_base_system below; measured: image/README.md).
# The rpi base system is also keyed by its recipe (that function's steps, versioned by RPI_RECIPE, and the
# initramfs files it installs), so a cache built another way is not reused; cpu's key is the list alone.
TARBALL=$CACHE/$TARBALL_NAME
ROOTFS_KEY=$INCLUDE
if [ "$FLAVOUR" = rpi ]; then
  RPI_RECIPE=foreign-single-initramfs-list-1
  ROOTFS_KEY="$INCLUDE $RPI_RECIPE $(cat image/initramfs/rpi.conf image/initramfs/rpi-modules | sha256sum | cut -c1-12)"
fi
ROOTFS=$CACHE/rootfs-$SUITE-$ARCH-$(printf '%s' "$ROOTFS_KEY" | sha256sum | cut -c1-12).tar
DEBOOTSTRAP=(debootstrap "--arch=$ARCH" --variant=minbase "--components=$COMPONENTS" "--include=$INCLUDE")
if [ ! -s "$ROOTFS" ] && [ ! -s "$TARBALL" ]; then
  "${DEBOOTSTRAP[@]}" --make-tarball="$TARBALL.tmp" "$SUITE" "$(mktemp -d)" "$MIRROR"
  mv "$TARBALL.tmp" "$TARBALL"
fi
stage debootstrap-tarball

# 2. Disk. cpu: GPT with a 256 MiB EFI system partition and the root partition (Linux x86-64 root type).
# rpi: MBR (what every Pi boot ROM reads) with a 512 MiB FAT32-LBA boot partition at 4 MiB (the firmware,
# device trees, kernel and initrd: ~100 MB, twice during a kernel update) and the ext4 root after it.
rm -f "$IMG"
truncate -s "$DISK_SIZE" "$IMG"
if [ "$FLAVOUR" = rpi ]; then
  printf 'label: dos\nstart=4MiB, size=512MiB, type=c, bootable\nstart=516MiB, type=83\n' | sfdisk -q "$IMG"
  BOOT_LABEL=CLAWBOX-PI BOOT_MOUNT=/boot/firmware
else
  sgdisk --zap-all --new=1:2048:+256M --typecode=1:ef00 --change-name=1:ESP \
    --new=2:0:0 --typecode=2:8304 --change-name=2:root "$IMG" >/dev/null
  BOOT_LABEL=CLAWBOX-EFI BOOT_MOUNT=/boot/efi
fi
# One loop device per partition (offset + size from the partition table): containers have no udev to
# create /dev/loopNpM nodes.
part_loop() { # $1 = partition number → prints the loop device
  local start sectors
  read -r start sectors < <(partx -g -o START,SECTORS -n "$1" "$IMG")
  losetup --find --show --offset $((start * 512)) --sizelimit $((sectors * 512)) "$IMG"
}
esp_dev=$(part_loop 1); loops+=("$esp_dev")
root_dev=$(part_loop 2); loops+=("$root_dev")
mkfs.vfat -F 32 -n "$BOOT_LABEL" "$esp_dev" >/dev/null
mkfs.ext4 -q -L clawbox-root "$root_dev"
mount "$root_dev" "$root"
# The ESP is written with mtools (build hosts and containers may lack the vfat module).
stage disk

# 3. Unpack the base system into the image.
# rpi: the same debootstrap, split around its second stage, which runs every maintainer script through
# qemu-user. Left alone it built the initramfs three times (the kernel's postinst, its postinst.d hook and
# initramfs-tools' trigger) with MODULES=most: ~1,500 modules, each an emulated modprobe and modinfo, 12-30
# min per build, and the stage did not finish in 95 min. Here update-initramfs is diverted to a no-op
# during the second stage (dpkg-divert from the host; the kernel hook and the trigger then do nothing), and
# one initramfs is built after it with the modules of image/initramfs/rpi-modules (MODULES=list, kept on
# the device for its kernel updates). dpkg runs without fsync for the second stage (force-unsafe-io, as
# mmdebstrap does; the image is synced when unmounted).
rpi_base_system() {
  local kver m have missing=""
  "${DEBOOTSTRAP[@]}" --foreign --unpack-tarball="$TARBALL" "$SUITE" "$root" "$MIRROR"
  stage debootstrap-first-stage
  dpkg-divert --root="$root" --local --no-rename --divert /usr/sbin/update-initramfs.clawbox-build \
    --add /usr/sbin/update-initramfs >/dev/null
  printf '#!/bin/sh\necho "update-initramfs $*: deferred by image/build-test-image.sh (one build after debootstrap)" >&2\n' \
    > "$root/usr/sbin/update-initramfs"
  chmod 0755 "$root/usr/sbin/update-initramfs"
  echo force-unsafe-io > "$root/etc/dpkg/dpkg.cfg.d/clawbox-build-unsafe-io"
  # The second stage from the host (like the one-step debootstrap): only dpkg and the maintainer scripts
  # run emulated in the chroot, not debootstrap's own shell code.
  DEBOOTSTRAP_DIR="$root/debootstrap" debootstrap --second-stage --second-stage-target="$root"
  stage debootstrap-second-stage
  rm -f "$root/etc/dpkg/dpkg.cfg.d/clawbox-build-unsafe-io" "$root/usr/sbin/update-initramfs"
  dpkg-divert --root="$root" --local --rename --remove /usr/sbin/update-initramfs >/dev/null
  install -D -m 0644 image/initramfs/rpi.conf "$root/etc/initramfs-tools/conf.d/clawbox-rpi"
  install -D -m 0644 image/initramfs/rpi-modules "$root/usr/share/initramfs-tools/modules.d/clawbox-rpi"
  kver=$(cd "$root/lib/modules" && ls | sort -V | tail -n 1)
  # Every listed module must exist in this kernel (as a module or built in): a renamed driver fails here,
  # not on a Pi that cannot find its root filesystem.
  have=$(sed -e 's/:.*//' -e 's|.*/||' -e 's/\.ko.*//' -e 's/-/_/g' \
    "$root/lib/modules/$kver/modules.dep" "$root/lib/modules/$kver/modules.builtin")
  for m in $(awk '/^[^#]/ { print $1 }' image/initramfs/rpi-modules); do
    grep -qx -- "${m//-/_}" <<<"$have" || missing="$missing $m"
  done
  [ -z "$missing" ] ||
    { echo "build-test-image: not in linux $kver (image/initramfs/rpi-modules):$missing" >&2; exit 1; }
  mount -t proc proc "$root/proc"
  chroot "$root" update-initramfs -c -k "$kver"
  umount "$root/proc"
  [ -s "$root/boot/initrd.img-$kver" ] || { echo "build-test-image: no initramfs for $kver" >&2; exit 1; }
  stage initramfs
}
if [ -s "$ROOTFS" ]; then
  tar -C "$root" --numeric-owner -xpf "$ROOTFS"
else
  if [ "$FLAVOUR" = rpi ]; then
    rpi_base_system
  else
    "${DEBOOTSTRAP[@]}" --unpack-tarball="$TARBALL" "$SUITE" "$root" "$MIRROR"
  fi
  rm -f "$root"/var/cache/apt/archives/*.deb
  tar -C "$root" --numeric-owner --exclude=./lost+found -cpf "$ROOTFS.tmp" .
  mv "$ROOTFS.tmp" "$ROOTFS"
fi
stage debootstrap-unpack

for m in proc sys dev dev/pts run; do mkdir -p "$root/$m"; done
mount -t proc proc "$root/proc"
mount -t sysfs sys "$root/sys"
mount --bind /dev "$root/dev"
mount -t devpts devpts "$root/dev/pts"
mount -t tmpfs tmpfs "$root/run"
cp /etc/resolv.conf "$root/etc/resolv.conf"
root_uuid=$(blkid -s UUID -o value "$root_dev")
esp_uuid=$(blkid -s UUID -o value "$esp_dev")
cat > "$root/etc/fstab" <<FSTAB
# clawbox test image (image/build-test-image.sh)
UUID=$root_uuid / ext4 errors=remount-ro 0 1
UUID=$esp_uuid $BOOT_MOUNT vfat umask=0077 0 2
FSTAB
components=${COMPONENTS//,/ }
cat > "$root/etc/apt/sources.list" <<APT
deb $MIRROR $SUITE $components
deb $MIRROR $SUITE-updates $components
deb http://deb.debian.org/debian-security $SUITE-security $components
APT
if [ "$FLAVOUR" = rpi ]; then
  # raspi-firmware's kernel and initramfs hooks regenerate /boot/firmware/{config.txt,cmdline.txt} on every
  # kernel update from these settings (they would take root=/dev/loopN from findmnt in this chroot).
  # CMA=0: no cma= argument, the device tree's default pool (the hook warns that 64M can keep a Pi 4 from
  # booting). The Pi firmware replaces serial0 with the board's UART; the last console (tty1) is /dev/console.
  cat > "$root/etc/default/raspi-firmware" <<RASPI
# clawbox image (image/build-test-image.sh): read by raspi-firmware's kernel hooks.
ROOTPART="UUID=$root_uuid rootfstype=ext4"
CONSOLES="serial0,115200 tty1"
CMA=0
RASPI
fi
# Wired network for the QEMU test (NetworkManager from the base role takes over interfaces it manages).
printf 'auto lo\niface lo inet loopback\n' > "$root/etc/network/interfaces"

# 4. The agent release for this machine's architecture.
RELEASE=$CACHE/clawbox-$VERSION-$NODE_ARCH-$FLAVOUR.tar.gz
image/make-release.sh "$NODE_ARCH" "$FLAVOUR" "$RELEASE" >/dev/null
stage release

# 5. ansible/image.yml through the chroot connection.
extra=(-e clawbox_image_build=true -e "clawbox_flavour=$FLAVOUR" -e "clawbox_version=$VERSION"
  -e "clawbox_agent_release_archive=$RELEASE" -e "clawbox_agent_cache_dir=$CACHE")
if [ -n "${CLAWBOX_PRESEED_MODEL:-}" ]; then
  model_sha=$(sha256sum "$CLAWBOX_PRESEED_MODEL" | cut -d' ' -f1)
  model_entry="{\"name\": \"$(basename "$CLAWBOX_PRESEED_MODEL")\", \"sha256\": \"$model_sha\", \"src\": \"$CLAWBOX_PRESEED_MODEL\"}"
  extra+=(-e "{\"clawbox_agent_preseed_models\": [$model_entry]}")
fi
[ -n "${CLAWBOX_ADMIN_KEY:-}" ] && extra+=(-e "{\"clawbox_base_admin_authorized_keys\": [\"$CLAWBOX_ADMIN_KEY\"]}")
# qemu-user has no netfilter netlink sockets: the role's `nft -c` cannot run in the arm64 chroot, so the
# build host's nft checks the rules file the role wrote (after the playbook run).
if [ -n "$FOREIGN" ]; then
  extra+=(-e clawbox_hardening_nftables_validate=false)
fi
playbook() {
  ANSIBLE_CONFIG=ansible/ansible.cfg ansible-playbook -i "$root," -c community.general.chroot \
    ansible/image.yml "${extra[@]}" "$@"
}
playbook | tee "$OUT/$NAME.ansible.log"
if [ -n "$FOREIGN" ] && [ -e "$root/etc/nftables.conf" ]; then
  nft -c -f "$root/etc/nftables.conf"
fi
stage ansible
if [ "${CLAWBOX_IDEMPOTENCE:-0}" = 1 ]; then
  playbook | tee "$OUT/$NAME.ansible-second-run.log"
  # Only the image-build bracket (policy-rc.d written and removed) may change again, and the relabel only
  # for apt's binary caches (/var/cache/apt/{pkgcache,srcpkgcache}.bin), which every apt run regenerates
  # unlabelled in the chroot. Any other changed task, or any other file needing a label, means a role is
  # not idempotent.
  awk '/^TASK \[/ { task = $0 } /^changed:/ { print task }' "$OUT/$NAME.ansible-second-run.log" | sort -u |
    grep -v -e 'Keep package scripts from starting services' -e 'Let package scripts start services again' \
      -e 'Label the root filesystem' > "$OUT/$NAME.not-idempotent.txt" || true
  grep -o 'Would relabel [^ ]*' "$OUT/$NAME.ansible-second-run.log" | cut -d' ' -f3 |
    grep -v -E '^/var/cache/apt/(src)?pkgcache\.bin$' | sed 's/^/relabel: /' >> "$OUT/$NAME.not-idempotent.txt" || true
  # The role lists at most 200 paths: more than that is never only the two apt caches.
  grep -o '"files to relabel: [0-9]*' "$OUT/$NAME.ansible-second-run.log" | awk '$NF > 2 { print "relabel: " $NF " files" }' \
    >> "$OUT/$NAME.not-idempotent.txt" || true
  if [ -s "$OUT/$NAME.not-idempotent.txt" ]; then
    echo "build-test-image: the second playbook run changed:" >&2
    cat "$OUT/$NAME.not-idempotent.txt" >&2
    exit 1
  fi
  echo "idempotence: second run changed nothing outside the image-build bracket"
  stage ansible-second-run
fi

if [ "$FLAVOUR" = rpi ]; then
  # 6. Pi boot partition: raspi-firmware's kernel hook, run again now that the roles wrote its settings
  # (config lines, SELinux arguments), rewrote config.txt and cmdline.txt in /boot/firmware of the root
  # filesystem next to the firmware, device trees, kernel and initrd; all of it moves onto the FAT partition
  # (written with mtools like the ESP), which fstab mounts over the then empty directory.
  chroot "$root" env DEB_MAINT_PARAMS=configure /etc/kernel/postinst.d/z50-raspi-firmware
  grep -q 'security=selinux' "$root/boot/firmware/cmdline.txt" ||
    { echo "build-test-image: cmdline.txt lacks security=selinux: $(cat "$root/boot/firmware/cmdline.txt")" >&2; exit 1; }
  mcopy -s -i "$esp_dev" "$root"/boot/firmware/* ::/
  find "$root/boot/firmware" -mindepth 1 -delete
else
  # 6. Boot loader: GRUB config from the roles' drop-ins (console, security=selinux), and a standalone GRUB EFI
  # binary on the removable-media path (no NVRAM entry needed) that finds the root filesystem by UUID.
  # grub-install is not used: it insists on a mounted FAT ESP, which needs the vfat module on the build host.
  # update-grub cannot be used here: its 10_linux skips a root filesystem on a loop device backed by a file
  # (and would write root=/dev/loopN). The same kernel command line from /etc/default/grub and the roles'
  # drop-ins goes into a grub.cfg written here; on a device, kernel updates run update-grub as usual.
  mkdir -p "$root/boot/grub" "$root/boot/efi"
  kernel=$(cd "$root/boot" && ls vmlinuz-* | sort -V | tail -n 1)
  cmdline=$(chroot "$root" sh -c '. /etc/default/grub; for f in /etc/default/grub.d/*.cfg; do [ -r "$f" ] && . "$f"; done
    echo "$GRUB_CMDLINE_LINUX $GRUB_CMDLINE_LINUX_DEFAULT"')
  cat > "$root/boot/grub/grub.cfg" <<GRUB
# clawbox test image (image/build-test-image.sh); update-grub replaces it on a device.
serial --unit=0 --speed=115200
terminal_input console serial
terminal_output console serial
set timeout=1
menuentry 'Debian GNU/Linux (clawbox)' {
  insmod part_gpt
  insmod ext2
  search --no-floppy --fs-uuid --set=root $root_uuid
  linux /boot/$kernel root=UUID=$root_uuid ro $cmdline
  initrd /boot/initrd.img-${kernel#vmlinuz-}
}
GRUB
  # The prefix stays on GRUB's memdisk, which holds every module (the root filesystem has none: no grub-install).
  printf 'search --no-floppy --fs-uuid --set=root %s\nconfigfile ($root)/boot/grub/grub.cfg\n' \
    "$root_uuid" > "$root/root/grub-early.cfg"
  chroot "$root" grub-mkstandalone -O x86_64-efi --modules="part_gpt ext2 search_fs_uuid configfile" \
    -o /root/BOOTX64.EFI "boot/grub/grub.cfg=/root/grub-early.cfg"
  mmd -i "$esp_dev" ::/EFI ::/EFI/BOOT
  mcopy -i "$esp_dev" "$root/root/BOOTX64.EFI" ::/EFI/BOOT/BOOTX64.EFI
  rm -f "$root/root/BOOTX64.EFI" "$root/root/grub-early.cfg"
  # The playbook labelled the tree before GRUB wrote its files: label those too.
  chroot "$root" setfiles -F -e /boot/efi /etc/selinux/default/contexts/files/file_contexts /boot
fi
stage bootloader

cp "$root/usr/share/clawbox/image-manifest.json" "$OUT/$NAME.image-manifest.json"
rm -f "$root/etc/resolv.conf"
# Zero the blocks of deleted files (package caches) so they compress to nothing.
fstrim "$root" || echo "build-test-image: fstrim failed; the artifact is larger but correct" >&2
cleanup
trap - EXIT
stage unmount

# 7. Compressed artifact, checksum and manifest.
# xz -6 (the release default) took over 10 min of CPU for this image on 2 cores; the test artifact uses -1.
CLAWBOX_XZ_LEVEL=${CLAWBOX_XZ_LEVEL:-1} image/finalize-artifact.sh "$IMG" "$OUT/$NAME.image-manifest.json" cpu "$VERSION"
stage compress
