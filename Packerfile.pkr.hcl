# clawbox appliance images: Ubuntu Server 24.04 LTS for the Raspberry Pi (arm64, chroot builder) and for
# amd64 mini PCs (QEMU builder on the Ubuntu cloud image), both provisioned by ansible/image.yml.
#
#   packer init Packerfile.pkr.hcl
#   sudo -E packer build -var release_archive=$PWD/artifacts/clawbox-0.1.0-arm64.tar.gz \
#     -only=clawbox.arm.rpi Packerfile.pkr.hcl
#   sudo -E packer build -var flavour=nvidia -var release_archive=... -only=clawbox.qemu.amd64 Packerfile.pkr.hcl
#
# Outputs in var.output_dir: clawbox-<version>-<flavour>.img.xz, its .sha256 and a .manifest.json
# (agent, Node and kernel versions, installed packages, flavour). See image/README.md.

packer {
  required_version = ">= 1.11.0"
  required_plugins {
    # Raspberry Pi image: loop-mounts the preinstalled image and runs Ansible in a chroot (qemu-user).
    # v1.1.0 is the first release built as a multi-component plugin, which Packer 1.11 requires.
    arm = {
      source  = "github.com/mkaczanowski/arm"
      version = ">= 1.1.0"
    }
    qemu = {
      source  = "github.com/hashicorp/qemu"
      version = ">= 1.1.0"
    }
    ansible = {
      source  = "github.com/hashicorp/ansible"
      version = ">= 1.1.1"
    }
  }
}

variable "version" {
  type        = string
  description = "clawbox release version baked into the image (the agent release archive's version)."
  default     = "0.1.0"
}

variable "flavour" {
  type        = string
  description = "Hardware flavour of the amd64 image: cpu, nvidia or intel-igpu (the Pi image is always rpi)."
  default     = "cpu"
  validation {
    condition     = contains(["cpu", "nvidia", "intel-igpu", "rpi"], var.flavour)
    error_message = "The flavour must be cpu, nvidia, intel-igpu or rpi."
  }
}

variable "release_archive" {
  type        = string
  description = "Agent release .tar.gz for the target architecture (image/make-release.sh)."
  default     = "artifacts/clawbox-release.tar.gz"
}

variable "rpi_image_url" {
  type        = string
  description = "Ubuntu Server 24.04 LTS preinstalled arm64+raspi image."
  default     = "https://cdimage.ubuntu.com/releases/24.04.3/release/ubuntu-24.04.3-preinstalled-server-arm64+raspi.img.xz"
}

variable "rpi_image_checksum_url" {
  type        = string
  description = "SHA256SUMS published beside the Raspberry Pi image; Packer verifies the download against it."
  default     = "https://cdimage.ubuntu.com/releases/24.04.3/release/SHA256SUMS"
}

variable "amd64_image_url" {
  type        = string
  description = "Ubuntu Server 24.04 LTS (noble) amd64 cloud image."
  default     = "https://cloud-images.ubuntu.com/releases/noble/release/ubuntu-24.04-server-cloudimg-amd64.img"
}

variable "amd64_image_checksum" {
  type        = string
  description = "Checksum of the amd64 cloud image: sha256:<hex> or file:<SHA256SUMS URL>."
  default     = "file:https://cloud-images.ubuntu.com/releases/noble/release/SHA256SUMS"
}

variable "disk_size" {
  type        = string
  description = "Size of the image's disk (first boot grows the root partition to the real disk)."
  default     = "8G"
}

variable "output_dir" {
  type        = string
  description = "Where the finished .img.xz, .sha256 and manifest are written."
  default     = "artifacts"
}

variable "accelerator" {
  type        = string
  description = "QEMU accelerator for the amd64 build VM: kvm, or tcg where there is no KVM (slow)."
  default     = "kvm"
}

locals {
  # One random password per build for the temporary build user of the amd64 VM (deleted before shutdown).
  build_password = uuidv4()
  rpi_mount_path = "/mnt/clawbox-root"
  rpi_image      = "${var.output_dir}/clawbox-${var.version}-rpi.img"
  amd64_name     = "clawbox-${var.version}-${var.flavour}.img"
  playbook       = "${path.root}/ansible/image.yml"
  ansible_env    = ["ANSIBLE_CONFIG=${path.root}/ansible/ansible.cfg", "ANSIBLE_FORCE_COLOR=1"]
}

# Raspberry Pi 4/5: Ubuntu's preinstalled image, partition layout as shipped (`sfdisk -d` on the
# 24.04 image: DOS label, system-boot FAT32 512 MiB at sector 2048, writable ext4 from sector 1050624).
source "arm" "rpi" {
  file_urls             = [var.rpi_image_url]
  file_checksum_url     = var.rpi_image_checksum_url
  file_checksum_type    = "sha256"
  file_target_extension = "xz"
  file_unarchive_cmd    = ["xz", "-T0", "--decompress", "$ARCHIVE_PATH"]
  image_build_method    = "resize"
  image_path            = local.rpi_image
  image_size            = var.disk_size
  image_type            = "dos"
  image_mount_path      = local.rpi_mount_path

  image_partitions {
    name         = "boot"
    type         = "c"
    start_sector = "2048"
    filesystem   = "fat"
    size         = "512M"
    mountpoint   = "/boot/firmware"
  }

  image_partitions {
    name         = "root"
    type         = "83"
    start_sector = "1050624"
    filesystem   = "ext4"
    size         = "0"
    mountpoint   = "/"
  }

  image_chroot_env             = ["PATH=/usr/local/bin:/usr/local/sbin:/usr/bin:/usr/sbin:/bin:/sbin", "FK_FORCE=yes"]
  qemu_binary_source_path      = "/usr/bin/qemu-aarch64-static"
  qemu_binary_destination_path = "/usr/bin/qemu-aarch64-static"
}

# amd64 mini PCs: the cloud image booted once in QEMU with a NoCloud seed for the build user.
source "qemu" "amd64" {
  iso_url          = var.amd64_image_url
  iso_checksum     = var.amd64_image_checksum
  disk_image       = true
  disk_size        = var.disk_size
  format           = "raw"
  accelerator      = var.accelerator
  efi_boot         = true
  cpus             = 2
  memory           = 4096
  headless         = true
  net_device       = "virtio-net"
  disk_interface   = "virtio"
  output_directory = "${var.output_dir}/build-amd64-${var.flavour}"
  vm_name          = local.amd64_name
  cd_label         = "cidata"
  cd_content = {
    "meta-data" = ""
    "user-data" = <<-EOT
      #cloud-config
      users:
        - name: packer
          sudo: "ALL=(ALL) NOPASSWD:ALL"
          lock_passwd: false
          plain_text_passwd: "${local.build_password}"
          shell: /bin/bash
      ssh_pwauth: true
      package_update: false
    EOT
  }
  communicator     = "ssh"
  ssh_username     = "packer"
  ssh_password     = local.build_password
  ssh_timeout      = "30m"
  shutdown_command = "sudo sh -c 'cloud-init clean --logs --seed; userdel --force --remove packer; rm -f /etc/sudoers.d/90-cloud-init-users; shutdown -P now'"
}

build {
  name    = "clawbox"
  sources = ["source.arm.rpi", "source.qemu.amd64"]

  # Raspberry Pi: Ansible through the chroot connection on the mounted image.
  provisioner "ansible" {
    only             = ["arm.rpi"]
    playbook_file    = local.playbook
    ansible_env_vars = local.ansible_env
    use_proxy        = false
    extra_arguments = [
      "--connection=community.general.chroot",
      "-e", "ansible_host=${local.rpi_mount_path}",
      "-e", "clawbox_image_build=true",
      "-e", "clawbox_flavour=rpi",
      "-e", "clawbox_version=${var.version}",
      "-e", "clawbox_agent_release_archive=${abspath(var.release_archive)}",
    ]
  }

  # amd64: Ansible over SSH into the build VM.
  provisioner "ansible" {
    only             = ["qemu.amd64"]
    playbook_file    = local.playbook
    ansible_env_vars = local.ansible_env
    user             = "packer"
    use_proxy        = false
    extra_arguments = [
      "--become",
      "-e", "clawbox_image_build=true",
      "-e", "clawbox_flavour=${var.flavour}",
      "-e", "clawbox_version=${var.version}",
      "-e", "clawbox_agent_release_archive=${abspath(var.release_archive)}",
    ]
  }

  # The playbook writes the image manifest (versions, packages) inside the image; copy it out.
  provisioner "file" {
    direction   = "download"
    source      = "/usr/share/clawbox/image-manifest.json"
    destination = "${var.output_dir}/${source.name}-image-manifest.json"
  }

  # Compress, hash and write the final manifest next to the artifact.
  post-processor "shell-local" {
    only = ["arm.rpi"]
    inline = [
      "${path.root}/image/finalize-artifact.sh ${local.rpi_image} ${var.output_dir}/rpi-image-manifest.json rpi ${var.version}",
    ]
  }

  post-processor "shell-local" {
    only = ["qemu.amd64"]
    inline = [
      "${path.root}/image/finalize-artifact.sh ${var.output_dir}/build-amd64-${var.flavour}/${local.amd64_name} ${var.output_dir}/amd64-image-manifest.json ${var.flavour} ${var.version}",
    ]
  }
}
