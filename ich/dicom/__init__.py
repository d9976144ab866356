"""Reading and writing CT slices in the RSNA 2019 DICOM form."""
